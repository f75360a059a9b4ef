//! From the SVG text to PNG (resvg / tiny-skia) and PDF (svg2pdf): one `usvg::Tree`, parsed
//! with the bundled font, feeds both renderers. PDF pages keep vectors and text (the font is
//! embedded as a subset), and several pages are assembled into one document (the atlas).
use pdf_writer::{Content, Finish, Name, Pdf, Rect as PdfRect, Ref, TextStr};
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::font;
use crate::page::Page;

/// Largest image rendered, in pixels.
pub const MAX_PIXELS: u64 = 60_000_000;

/// Parse an SVG produced by this crate.
pub fn tree(svg: &str) -> Result<usvg::Tree> {
    let options = usvg::Options {
        fontdb: font::database(),
        font_family: font::FAMILY.to_string(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| Error::Render(format!("SVG : {e}")))
}

/// Check a resolution.
pub fn check_dpi(dpi: f64) -> Result<()> {
    if !(36.0..=600.0).contains(&dpi) || !dpi.is_finite() {
        return Err(Error::Dpi(dpi));
    }
    Ok(())
}

/// Pixel size of `page` at `dpi`, refused beyond [`MAX_PIXELS`].
pub fn pixel_size(page: &Page, dpi: f64) -> Result<(u32, u32)> {
    check_dpi(dpi)?;
    let (w, h) = page.pixels(dpi);
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w == 0 || h == 0 {
        return Err(Error::ImageTooLarge {
            width: w,
            height: h,
            max: (MAX_PIXELS / 1_000_000) as u32,
        });
    }
    Ok((w, h))
}

/// Render to PNG at `dpi`, on white.
pub fn png(svg: &str, page: &Page, dpi: f64) -> Result<Vec<u8>> {
    let (w, h) = pixel_size(page, dpi)?;
    let tree = tree(svg)?;
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| Error::Render(format!("image de {w} × {h} pixels impossible")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let size = tree.size();
    let transform =
        tiny_skia::Transform::from_scale(w as f32 / size.width(), h as f32 / size.height());
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    encode_rgb(&pixmap, dpi)
}

/// PNG of an opaque pixmap as 8-bit RGB (no alpha: the map is drawn on white, so its
/// premultiplied pixels are its colours), fast deflate with adaptive filtering: a third of
/// the size of RGBA and several times quicker to write than the default compression.
fn encode_rgb(pixmap: &tiny_skia::Pixmap, dpi: f64) -> Result<Vec<u8>> {
    let err = |e: png::EncodingError| Error::Render(format!("PNG : {e}"));
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::with_capacity(rgb.len() / 4);
    {
        let mut enc = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        // The resolution (150 dpi = 5906 pixels per metre), so a report tool pastes at scale.
        let ppm = (dpi / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut w = enc.write_header().map_err(err)?;
        w.write_image_data(&rgb).map_err(err)?;
    }
    Ok(out)
}

/// One PDF page.
pub struct PdfPage<'a> {
    pub svg: &'a str,
    pub page: &'a Page,
}

/// A PDF of one page per SVG, with `title` in the document information.
pub fn pdf(pages: &[PdfPage<'_>], title: &str) -> Result<Vec<u8>> {
    use rayon::prelude::*;
    // Each page is converted on its own (in parallel), then renumbered into one document.
    let chunks: Vec<Result<(pdf_writer::Chunk, Ref)>> = pages
        .par_iter()
        .map(|p| {
            let tree = tree(p.svg)?;
            svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
                .map_err(|e| Error::Render(format!("PDF : {e}")))
        })
        .collect();
    let mut alloc = Ref::new(1);
    let catalog = alloc.bump();
    let tree_id = alloc.bump();
    let info = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::new();
    let mut bodies = Vec::new();
    for (chunk, p) in chunks.into_iter().zip(pages) {
        let (chunk, xobj) = chunk?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let xobj = map[&xobj];
        let page_id = alloc.bump();
        let content_id = alloc.bump();
        page_ids.push(page_id);
        bodies.push((
            chunk,
            xobj,
            page_id,
            content_id,
            p.page.width_pt(),
            p.page.height_pt(),
        ));
    }
    pdf.catalog(catalog).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    for (chunk, xobj, page_id, content_id, w, h) in bodies {
        let name = Name(b"M1");
        let mut page = pdf.page(page_id);
        page.media_box(PdfRect::new(0.0, 0.0, w as f32, h as f32));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(name, xobj);
        page.finish();
        let mut content = Content::new();
        content
            .save_state()
            .transform([w as f32, 0.0, 0.0, h as f32, 0.0, 0.0])
            .x_object(name)
            .restore_state();
        pdf.stream(content_id, &content.finish());
        pdf.extend(&chunk);
    }
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("observatoire (svg2pdf)"));
    Ok(pdf.finish())
}
