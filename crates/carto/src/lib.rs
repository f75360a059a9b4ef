//! Static maps of the observatory, for reports: choropleths with title, legend, sources,
//! scale bar, north arrow, labels and inset, written as layered SVG by this crate and turned
//! into PNG (resvg / tiny-skia) or PDF (svg2pdf, vector, text as text, font embedded); and
//! the atlas, one portrait page per Espace de Solidarité or territoire.
//!
//! The classes, palettes and labels are those of the web map (`indicators::classify`,
//! `styles/palettes.toml`, `styles/labels.toml`); borders are drawn from the shared topology,
//! simplified once per output scale, so neighbouring zones stay seamless. No HTTP here: the
//! CLI and the server call the same functions.

pub mod atlas;
pub mod classes;
pub mod context;
pub mod draw;
pub mod error;
pub mod font;
pub mod labels;
pub mod layout;
pub mod map;
pub mod page;
pub mod prepared;
pub mod proj;
pub mod render;
pub mod simplify;
pub mod svg;

pub use classes::ClassSpec;
pub use context::Context;
pub use draw::Orientation;
pub use error::{Error, Result};
pub use map::{Map, MapSpec, render};
pub use page::Page;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
    Pdf,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            "pdf" => Ok(Format::Pdf),
            _ => Err(Error::Render(format!("format « {s} » : svg, png ou pdf"))),
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
            Format::Pdf => "application/pdf",
        }
    }
}

/// A map in one format: SVG text, or PNG at `dpi`, or a one-page PDF.
pub fn encode(map: &Map, format: Format, dpi: f64) -> Result<Vec<u8>> {
    match format {
        Format::Svg => Ok(map.svg.clone().into_bytes()),
        Format::Png => render::png(&map.svg, &map.page, dpi),
        Format::Pdf => render::pdf(
            &[render::PdfPage {
                svg: &map.svg,
                page: &map.page,
            }],
            &map.title,
        ),
    }
}
