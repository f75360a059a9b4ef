//! Point → IRIS: an R-tree (`rstar`) over the bounding boxes of the IRIS polygons, then an exact
//! point-in-polygon test on the few candidates it returns.
//!
//! Coordinates are those of the bundle's shared topology: Lambert-93 quantised to its grid
//! (1 mm), kept as integer-valued `f64` in grid units, so that a border shared by two IRIS is
//! the very same segment in both. The point-in-polygon test is a crossing-number test whose
//! only geometric predicate is the exact orientation test of `robust` (Shewchuk's adaptive
//! predicates): a point is classified *inside*, *outside* or *on the boundary* without
//! rounding error. To keep it fast on IRIS of hundreds of vertices, each polygon's edges are
//! bucketed into horizontal slabs, so a test reads only the few edges of one slab.
//!
//! The R-tree's answers are cached on a regular grid of cells (50 m or more): a cell that no
//! IRIS edge comes near lies wholly in one IRIS (or outside all) and stores that IRIS; any
//! other cell stores the candidates the R-tree gives for the cell's rectangle — a superset of
//! what it gives for any point of the cell — and a lookup tests only those. The cache changes
//! no answer (a test checks it against the R-tree path on every BPE point and on random
//! points); it saves the tree traversal on every lookup.
//!
//! # Border rule
//! A point strictly inside an IRIS belongs to it. A point on the boundary of several IRIS (a
//! shared border, or a junction of three or more) belongs to **the IRIS with the smallest code
//! among those whose boundary contains it**; the answer then says `border: true`. Should two
//! IRIS overlap (the build reports any overlap above its tolerance, code Z020), the smallest
//! code wins in the same way. Query coordinates within 10⁻⁶ grid step of a grid node are
//! snapped to it, so a point given to the millimetre in Lambert-93 is tested exactly.
//!
//! ES, territoire and commune are derived from the IRIS answer (an IRIS lies in exactly one of
//! each: all higher zones are unions of whole IRIS).
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use zones::topology::{Pt, TopoGeometry, Topology};

/// Where a point lies with respect to one IRIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Outside,
    Inside,
    Boundary,
}

/// The answer of the index: the IRIS (its index in the bundle's IRIS level) and whether the
/// point lies on a border (the border rule chose among several IRIS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub iris: u32,
    pub border: bool,
}

/// One polygon: its bounding box and its slabs of edges (in the index's shared arrays).
#[derive(Debug, Clone, Copy)]
struct Shape {
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    inv_h: f64,
    last_slab: usize,
    /// Slab `s` holds `edges[slabs[first_slab + s]..slabs[first_slab + s + 1]]`.
    first_slab: usize,
}

impl Shape {
    /// The slab of ordinate `y`. Monotone in `y` (a correctly rounded subtraction and product
    /// by a positive constant, then truncation), so an edge spanning `[y0, y1]` is in every slab
    /// any `y` of that range maps to.
    #[inline]
    fn slab(&self, y: f64) -> usize {
        let s = (y - self.ymin) * self.inv_h;
        if s <= 0.0 {
            0
        } else {
            (s as usize).min(self.last_slab)
        }
    }
}

/// Cell value: an IRIS index below `LIST`; `OUTSIDE`; or `LIST + offset` of a candidate list.
const OUTSIDE: u32 = u32::MAX;
const LIST: u32 = 0x8000_0000;
/// Most cells of the grid (4 bytes each).
const MAX_CELLS: f64 = 4_000_000.0;
/// Smallest cell side, metres.
const MIN_CELL_M: f64 = 50.0;

/// The grid of cached R-tree answers (see the module documentation).
#[derive(Debug, Clone, Default)]
struct Cells {
    x0: f64,
    y0: f64,
    inv: f64,
    nx: usize,
    ny: usize,
    cell: Vec<u32>,
    /// Candidate lists: a length, then IRIS indices.
    lists: Vec<u32>,
}

impl Cells {
    /// The value of the cell holding a point in grid units; `None` outside the grid.
    #[inline]
    fn get(&self, px: f64, py: f64) -> Option<u32> {
        let fx = (px - self.x0) * self.inv;
        let fy = (py - self.y0) * self.inv;
        if fx >= 0.0 && fy >= 0.0 {
            let (ix, iy) = (fx as usize, fy as usize);
            if ix < self.nx && iy < self.ny {
                return self.cell.get(iy * self.nx + ix).copied();
            }
        }
        None
    }
}

/// The R-tree and the polygons of every IRIS.
#[derive(Debug, Clone)]
pub struct PointIndex {
    grid: f64,
    inv_grid: f64,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    /// One per IRIS; `None` for an empty geometry.
    shapes: Vec<Option<Shape>>,
    slabs: Vec<u32>,
    /// `[ax, ay, bx, by]` in grid units.
    edges: Vec<[f64; 4]>,
    /// Rank of each IRIS in the order of codes (the border rule's tie-break).
    rank: Vec<u32>,
    cells: Cells,
}

impl PointIndex {
    /// Index the IRIS `geometries` (with their `codes`, same order) of a topology.
    pub fn new(topology: &Topology, geometries: &[&TopoGeometry], codes: &[&str]) -> PointIndex {
        let mut index = PointIndex {
            grid: topology.grid,
            inv_grid: 1.0 / topology.grid,
            tree: RTree::new(),
            shapes: Vec::with_capacity(geometries.len()),
            slabs: Vec::new(),
            edges: Vec::new(),
            rank: Vec::new(),
            cells: Cells::default(),
        };
        let mut items = Vec::with_capacity(geometries.len());
        for (i, g) in geometries.iter().enumerate() {
            let rings: Vec<Vec<Pt>> = g
                .polygons
                .iter()
                .flat_map(|p| p.rings.iter().map(|r| topology.ring_points(r)))
                .collect();
            let shape = index.add_shape(&rings);
            if let Some(s) = &shape {
                items.push(GeomWithData::new(
                    Rectangle::from_corners([s.xmin, s.ymin], [s.xmax, s.ymax]),
                    i as u32,
                ));
            }
            index.shapes.push(shape);
        }
        index.tree = RTree::bulk_load(items);
        let mut order: Vec<usize> = (0..codes.len()).collect();
        order.sort_by(|&a, &b| codes[a].cmp(codes[b]).then(a.cmp(&b)));
        index.rank = vec![0u32; codes.len().max(geometries.len())];
        for (r, &i) in order.iter().enumerate() {
            index.rank[i] = r as u32;
        }
        index.cells = index.build_cells(MIN_CELL_M);
        index
    }

    /// Bucket a polygon's edges into slabs of the shared arrays.
    fn add_shape(&mut self, rings: &[Vec<Pt>]) -> Option<Shape> {
        let raw: Vec<[f64; 4]> = rings
            .iter()
            .flat_map(|ring| {
                ring.windows(2).map(|w| {
                    [
                        w[0][0] as f64,
                        w[0][1] as f64,
                        w[1][0] as f64,
                        w[1][1] as f64,
                    ]
                })
            })
            .collect();
        if raw.is_empty() {
            return None;
        }
        let (mut xmin, mut xmax) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
        for e in &raw {
            xmin = xmin.min(e[0]).min(e[2]);
            xmax = xmax.max(e[0]).max(e[2]);
            ymin = ymin.min(e[1]).min(e[3]);
            ymax = ymax.max(e[1]).max(e[3]);
        }
        // About one edge per slab on average, bounded for degenerate shapes.
        let n = raw.len().clamp(1, 16_384);
        let height = ((ymax - ymin) / n as f64).max(1.0);
        let shape = Shape {
            xmin,
            xmax,
            ymin,
            ymax,
            inv_h: 1.0 / height,
            last_slab: n - 1,
            first_slab: self.slabs.len(),
        };
        let mut buckets: Vec<Vec<[f64; 4]>> = vec![Vec::new(); n];
        for e in raw {
            let (lo, hi) = (shape.slab(e[1].min(e[3])), shape.slab(e[1].max(e[3])));
            for bucket in &mut buckets[lo..=hi] {
                bucket.push(e);
            }
        }
        for b in buckets {
            self.slabs.push(self.edges.len() as u32);
            self.edges.extend(b);
        }
        self.slabs.push(self.edges.len() as u32);
        Some(shape)
    }

    /// Exact position of a point (grid units) with respect to IRIS `i`.
    #[inline]
    fn classify(&self, i: usize, px: f64, py: f64) -> Position {
        let Some(Some(s)) = self.shapes.get(i) else {
            return Position::Outside;
        };
        if py < s.ymin || py > s.ymax || px < s.xmin || px > s.xmax {
            return Position::Outside;
        }
        let k = s.first_slab + s.slab(py);
        let (from, to) = (self.slabs[k] as usize, self.slabs[k + 1] as usize);
        let mut inside = false;
        for &[ax, ay, bx, by] in &self.edges[from..to] {
            let (ylo, yhi) = if ay <= by { (ay, by) } else { (by, ay) };
            if py < ylo || py > yhi {
                continue;
            }
            let (xlo, xhi) = if ax <= bx { (ax, bx) } else { (bx, ax) };
            if px > xhi {
                // Wholly to the left: neither crossed by the ray to +x nor holding the point.
                continue;
            }
            let crosses = (ay > py) != (by > py);
            if px < xlo {
                inside ^= crosses;
                continue;
            }
            // The point is inside the edge's bounding box: exact orientation.
            let o = robust::orient2d(
                robust::Coord { x: ax, y: ay },
                robust::Coord { x: bx, y: by },
                robust::Coord { x: px, y: py },
            );
            if o == 0.0 {
                return Position::Boundary;
            }
            // An upward edge is to the right of the point when the point is on its left.
            if crosses && ((o > 0.0) == (by > ay)) {
                inside = !inside;
            }
        }
        if inside {
            Position::Inside
        } else {
            Position::Outside
        }
    }

    /// The border rule over candidates.
    #[inline]
    fn choose(&self, candidates: impl Iterator<Item = u32>, p: [f64; 2]) -> Option<Hit> {
        // (rank, iris) of the best inside and of the best boundary candidates.
        let mut inside: Option<(u32, u32)> = None;
        let mut boundary: Option<(u32, u32)> = None;
        for i in candidates {
            let slot = match self.classify(i as usize, p[0], p[1]) {
                Position::Outside => continue,
                Position::Inside => &mut inside,
                Position::Boundary => &mut boundary,
            };
            let r = self.rank.get(i as usize).copied().unwrap_or(u32::MAX);
            if slot.is_none_or(|(best, _)| r < best) {
                *slot = Some((r, i));
            }
        }
        match (inside, boundary) {
            (Some((_, i)), _) => Some(Hit {
                iris: i,
                border: false,
            }),
            (None, Some((_, i))) => Some(Hit {
                iris: i,
                border: true,
            }),
            (None, None) => None,
        }
    }

    /// The border rule over candidates sorted by code: the first IRIS strictly inside is the
    /// answer; failing that, the first whose boundary holds the point.
    #[inline]
    fn choose_sorted(&self, sorted: &[u32], p: [f64; 2]) -> Option<Hit> {
        let mut boundary = None;
        for &i in sorted {
            match self.classify(i as usize, p[0], p[1]) {
                Position::Outside => {}
                Position::Inside => {
                    return Some(Hit {
                        iris: i,
                        border: false,
                    });
                }
                Position::Boundary => {
                    if boundary.is_none() {
                        boundary = Some(Hit {
                            iris: i,
                            border: true,
                        });
                    }
                }
            }
        }
        boundary
    }

    /// The R-tree path, for a point in grid units.
    fn locate_tree(&self, p: [f64; 2]) -> Option<Hit> {
        self.choose(self.tree.locate_all_at_point(&p).map(|c| c.data), p)
    }

    /// Rebuild the cell cache with cells of at least `side_m` metres (tuning, benchmarks).
    #[doc(hidden)]
    pub fn set_cell_size(&mut self, side_m: f64) {
        self.cells = self.build_cells(side_m);
    }

    fn build_cells(&self, min_side_m: f64) -> Cells {
        if self.tree.size() == 0 {
            return Cells::default();
        }
        let env = self.tree.root().envelope();
        let margin = 2.0;
        let (x0, y0) = (env.lower()[0] - margin, env.lower()[1] - margin);
        let (w, h) = (env.upper()[0] + margin - x0, env.upper()[1] + margin - y0);
        let side = (min_side_m * self.inv_grid).max((w * h / MAX_CELLS).sqrt());
        let nx = ((w / side).ceil() as usize).max(1);
        let ny = ((h / side).ceil() as usize).max(1);
        let inv = 1.0 / side;
        // 1. Cells an edge comes near (its bounding box widened by one grid step).
        let mut touched = vec![false; nx * ny];
        let span = |lo: f64, hi: f64, n: usize, origin: f64| {
            let a = ((lo - 1.0 - origin) * inv).floor().max(0.0) as usize;
            let b = ((hi + 1.0 - origin) * inv).floor().max(0.0) as usize;
            (a.min(n - 1), b.min(n - 1))
        };
        for &[ax, ay, bx, by] in &self.edges {
            let (ix0, ix1) = span(ax.min(bx), ax.max(bx), nx, x0);
            let (iy0, iy1) = span(ay.min(by), ay.max(by), ny, y0);
            for iy in iy0..=iy1 {
                touched[iy * nx + ix0..=iy * nx + ix1].fill(true);
            }
        }
        // 2. Touched cells: the R-tree's candidates for the cell (deduplicated lists).
        //    Untouched cells: a classified untouched neighbour, else one exact lookup.
        let mut cell = vec![OUTSIDE; nx * ny];
        let mut lists: Vec<u32> = Vec::new();
        // The list of the previous touched cell, reused when equal (neighbours mostly are).
        let mut last: Option<(Vec<u32>, u32)> = None;
        let mut candidates = |cx0: f64, cy0: f64| {
            let rect = AABB::from_corners(
                [cx0 - margin, cy0 - margin],
                [cx0 + side + margin, cy0 + side + margin],
            );
            let mut ids: Vec<u32> = self
                .tree
                .locate_in_envelope_intersecting(&rect)
                .map(|c| c.data)
                .collect();
            // In code order, so that a lookup can stop at the first IRIS strictly inside.
            ids.sort_unstable_by_key(|&i| (self.rank.get(i as usize).copied(), i));
            if ids.is_empty() {
                return OUTSIDE;
            }
            if let Some((prev, v)) = &last
                && *prev == ids
            {
                return *v;
            }
            let v = LIST.saturating_add(lists.len() as u32);
            lists.push(ids.len() as u32);
            lists.extend_from_slice(&ids);
            last = Some((ids, v));
            v
        };
        for iy in 0..ny {
            for ix in 0..nx {
                let k = iy * nx + ix;
                let (cx0, cy0) = (x0 + ix as f64 * side, y0 + iy as f64 * side);
                cell[k] = if touched[k] {
                    candidates(cx0, cy0)
                } else if ix > 0 && !touched[k - 1] {
                    cell[k - 1]
                } else if iy > 0 && !touched[k - nx] {
                    cell[k - nx]
                } else {
                    match self.locate_tree([cx0 + side / 2.0, cy0 + side / 2.0]) {
                        None => OUTSIDE,
                        Some(h) if !h.border && h.iris < LIST => h.iris,
                        // Never happens (the centre is away from every edge): stay exact.
                        Some(_) => candidates(cx0, cy0),
                    }
                };
            }
        }
        if lists.len() as u64 >= u64::from(LIST) {
            // Far beyond any territory: no cache, the R-tree answers alone.
            return Cells::default();
        }
        Cells {
            x0,
            y0,
            inv,
            nx,
            ny,
            cell,
            lists,
        }
    }

    /// Grid step of the topology, metres.
    pub fn grid(&self) -> f64 {
        self.grid
    }

    /// Lambert-93 metres to grid units, snapping to a node within 10⁻⁶ grid step.
    #[inline]
    fn to_grid(&self, v: f64) -> f64 {
        let q = v * self.inv_grid;
        let r = q.round();
        if (q - r).abs() <= 1e-6 { r } else { q }
    }

    /// Where a Lambert-93 point lies with respect to IRIS `iris` (for tests and diagnostics).
    pub fn position(&self, iris: u32, x: f64, y: f64) -> Position {
        self.classify(iris as usize, self.to_grid(x), self.to_grid(y))
    }

    /// The IRIS holding a Lambert-93 point (metres), by the border rule of this module.
    /// `None` outside every IRIS or for a non-finite coordinate.
    #[inline]
    pub fn locate(&self, x: f64, y: f64) -> Option<Hit> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        let p = [self.to_grid(x), self.to_grid(y)];
        if self.cells.cell.is_empty() {
            return self.locate_tree(p);
        }
        match self.cells.get(p[0], p[1]) {
            None | Some(OUTSIDE) => None,
            Some(v) if v < LIST => Some(Hit {
                iris: v,
                border: false,
            }),
            Some(v) => {
                let at = (v - LIST) as usize;
                let n = self.cells.lists.get(at).copied().unwrap_or(0) as usize;
                let ids = self.cells.lists.get(at + 1..at + 1 + n).unwrap_or(&[]);
                self.choose_sorted(ids, p)
            }
        }
    }

    /// The same answer as [`PointIndex::locate`], through the R-tree alone (no cell cache):
    /// for tests and benchmarks of the cache.
    pub fn locate_uncached(&self, x: f64, y: f64) -> Option<Hit> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        self.locate_tree([self.to_grid(x), self.to_grid(y)])
    }

    /// Share of the grid's cells answered without any polygon test (diagnostics).
    pub fn cached_cell_share(&self) -> f64 {
        let c = &self.cells.cell;
        if c.is_empty() {
            return 0.0;
        }
        c.iter().filter(|&&v| v < LIST || v == OUTSIDE).count() as f64 / c.len() as f64
    }

    /// Number of indexed IRIS.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}
