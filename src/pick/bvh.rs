//! A bounding volume hierarchy over boxes: binned surface-area-heuristic build, front-to-back
//! nearest-hit traversal and an overlap walk. It knows nothing of what the boxes hold
//! (triangles, points, splats); callers test their own primitives at the leaves.

use glam::Vec3;

/// An axis-aligned box; `EMPTY` has `min > max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bounds {
    pub min: Vec3,
    pub max: Vec3,
}

impl Bounds {
    pub const EMPTY: Bounds = Bounds {
        min: Vec3::splat(f32::INFINITY),
        max: Vec3::splat(f32::NEG_INFINITY),
    };

    pub fn union(self, other: Bounds) -> Bounds {
        Bounds {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    pub fn grow(self, p: Vec3) -> Bounds {
        Bounds {
            min: self.min.min(p),
            max: self.max.max(p),
        }
    }

    pub fn center(self) -> Vec3 {
        (self.min + self.max) * 0.5
    }

    /// Half the surface area (enough for the SAH, which only compares areas).
    fn half_area(self) -> f32 {
        let d = (self.max - self.min).max(Vec3::ZERO);
        d.x * d.y + d.y * d.z + d.z * d.x
    }

    /// Where a ray `origin + t · dir` (with `inv_dir = 1 / dir`) enters the box, if it meets
    /// it at some `t` in `0..=t_max`.
    pub fn ray_entry(self, origin: Vec3, inv_dir: Vec3, t_max: f32) -> Option<f32> {
        let t0 = (self.min - origin) * inv_dir;
        let t1 = (self.max - origin) * inv_dir;
        // `min`/`max` of glam drop NaNs (0 · ∞ on an axis-parallel ray in a face plane).
        let near = t0.min(t1).max_element().max(0.0);
        let far = t0.max(t1).min_element().min(t_max);
        (near <= far).then_some(near)
    }
}

#[derive(Clone, Copy, Debug)]
struct Node {
    bounds: Bounds,
    /// Leaf: index of the first primitive in `order`; inner: index of the left child (the
    /// right child follows it).
    start: u32,
    /// Primitives in a leaf; 0 for an inner node.
    count: u32,
}

/// A BVH over primitives given by their boxes; primitive `i` is the `i`-th box of the build.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bvh {
    nodes: Vec<Node>,
    order: Vec<u32>,
}

const BINS: usize = 12;
/// A range this small becomes a leaf without trying a split.
const MIN_LEAF: usize = 2;
/// A range larger than this is always split (by count, if the SAH finds no split).
const MAX_LEAF: usize = 16;
/// Cost of visiting a node relative to testing one primitive.
const TRAVERSAL_COST: f32 = 1.0;

impl Bvh {
    /// Builds the hierarchy. Boxes that are empty or not finite are left out (they can never
    /// be hit).
    pub fn build(prims: &[Bounds]) -> Bvh {
        Self::build_with_leaf(prims, MIN_LEAF)
    }

    /// Like [`Bvh::build`], never splitting a range of `min_leaf` primitives or fewer (clamped
    /// to the largest leaf).
    pub fn build_with_leaf(prims: &[Bounds], min_leaf: usize) -> Bvh {
        let min_leaf = min_leaf.clamp(MIN_LEAF, MAX_LEAF);
        let mut order: Vec<u32> = (0..prims.len())
            .filter(|i| {
                let b = prims[*i];
                b.min.is_finite() && b.max.is_finite() && b.min.cmple(b.max).all()
            })
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let centers: Vec<Vec3> = prims.iter().map(|b| b.center()).collect();
        let mut nodes = Vec::with_capacity(2 * order.len() / MIN_LEAF + 1);
        if order.is_empty() {
            return Bvh { nodes, order };
        }
        nodes.push(Node {
            bounds: Bounds::EMPTY,
            start: 0,
            count: 0,
        });
        let mut stack = vec![(0usize, 0usize, order.len())];
        while let Some((index, start, end)) = stack.pop() {
            let range = &mut order[start..end];
            let mut bounds = Bounds::EMPTY;
            let mut center_bounds = Bounds::EMPTY;
            for &p in range.iter() {
                bounds = bounds.union(prims[p as usize]);
                center_bounds = center_bounds.grow(centers[p as usize]);
            }
            let count = range.len();
            let split = if count <= min_leaf {
                None
            } else {
                split_range(range, prims, &centers, center_bounds, bounds)
            };
            nodes[index].bounds = bounds;
            match split {
                Some(mid) => {
                    let left = nodes.len();
                    for _ in 0..2 {
                        nodes.push(Node {
                            bounds: Bounds::EMPTY,
                            start: 0,
                            count: 0,
                        });
                    }
                    nodes[index].start = left as u32;
                    stack.push((left, start, start + mid));
                    stack.push((left + 1, start + mid, end));
                }
                None => {
                    nodes[index].start = start as u32;
                    nodes[index].count = count as u32;
                }
            }
        }
        Bvh { nodes, order }
    }

    /// Number of nodes (for tests and benchmarks).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nearest primitive along a ray: `enter(bounds, t_best)` says where the query enters
    /// a node's box (or `None` if it misses it or enters beyond `t_best`), `hit(prim)` where
    /// it hits a primitive. Nodes are visited front to back and skipped once they lie beyond
    /// the best hit so far. Returns the primitive and its `t`.
    pub fn nearest(
        &self,
        mut enter: impl FnMut(Bounds, f32) -> Option<f32>,
        mut hit: impl FnMut(u32) -> Option<f32>,
    ) -> Option<(u32, f32)> {
        let mut best: Option<(u32, f32)> = None;
        let root = self.nodes.first()?;
        let t_root = enter(root.bounds, f32::INFINITY)?;
        let mut stack: Vec<(u32, f32)> = Vec::with_capacity(64);
        stack.push((0, t_root));
        while let Some((index, t_enter)) = stack.pop() {
            let t_best = best.map_or(f32::INFINITY, |b| b.1);
            if t_enter > t_best {
                continue;
            }
            let Some(node) = self.nodes.get(index as usize) else {
                continue;
            };
            if node.count > 0 {
                let (start, end) = (node.start as usize, (node.start + node.count) as usize);
                for &p in self.order.get(start..end).unwrap_or_default() {
                    if let Some(t) = hit(p)
                        && t < best.map_or(f32::INFINITY, |b| b.1)
                    {
                        best = Some((p, t));
                    }
                }
                continue;
            }
            let (l, r) = (node.start, node.start + 1);
            let tl = self
                .nodes
                .get(l as usize)
                .and_then(|n| enter(n.bounds, t_best));
            let tr = self
                .nodes
                .get(r as usize)
                .and_then(|n| enter(n.bounds, t_best));
            // Push the farther child first, so the nearer one is visited next.
            match (tl, tr) {
                (Some(a), Some(b)) if a <= b => {
                    stack.push((r, b));
                    stack.push((l, a));
                }
                (Some(a), Some(b)) => {
                    stack.push((l, a));
                    stack.push((r, b));
                }
                (Some(a), None) => stack.push((l, a)),
                (None, Some(b)) => stack.push((r, b)),
                (None, None) => {}
            }
        }
        best
    }

    /// True if `test(prim)` holds for some primitive in a node whose box passes `overlaps`.
    pub fn any(
        &self,
        overlaps: impl Fn(Bounds) -> bool,
        mut test: impl FnMut(u32) -> bool,
    ) -> bool {
        let mut stack = vec![0u32];
        while let Some(index) = stack.pop() {
            let Some(node) = self.nodes.get(index as usize) else {
                continue;
            };
            if !overlaps(node.bounds) {
                continue;
            }
            if node.count > 0 {
                let (start, end) = (node.start as usize, (node.start + node.count) as usize);
                if self
                    .order
                    .get(start..end)
                    .unwrap_or_default()
                    .iter()
                    .any(|p| test(*p))
                {
                    return true;
                }
            } else {
                stack.push(node.start + 1);
                stack.push(node.start);
            }
        }
        false
    }
}

/// Chooses where to split `range` (reordering it) by the binned SAH along the longest axis of
/// the centres; returns the size of the left part, or `None` to make a leaf.
fn split_range(
    range: &mut [u32],
    prims: &[Bounds],
    centers: &[Vec3],
    center_bounds: Bounds,
    bounds: Bounds,
) -> Option<usize> {
    let count = range.len();
    let extent = center_bounds.max - center_bounds.min;
    let axis = if extent.x >= extent.y && extent.x >= extent.z {
        0
    } else if extent.y >= extent.z {
        1
    } else {
        2
    };
    let lo = center_bounds.min[axis];
    let width = extent[axis];
    if width.is_nan() || width <= 0.0 {
        // All centres coincide: no plane separates them.
        return (count > MAX_LEAF).then_some(count / 2);
    }
    let scale = BINS as f32 / width;
    let bin_of = |p: u32| -> usize {
        let c = centers[p as usize][axis];
        (((c - lo) * scale) as usize).min(BINS - 1)
    };
    let mut bin_bounds = [Bounds::EMPTY; BINS];
    let mut bin_counts = [0usize; BINS];
    for &p in range.iter() {
        let b = bin_of(p);
        bin_bounds[b] = bin_bounds[b].union(prims[p as usize]);
        bin_counts[b] += 1;
    }
    // Sweep from the right to get the cost of every right part, then from the left.
    let mut right_area = [0.0f32; BINS];
    let mut acc = Bounds::EMPTY;
    for i in (1..BINS).rev() {
        acc = acc.union(bin_bounds[i]);
        right_area[i] = acc.half_area();
    }
    let mut best: Option<(usize, f32)> = None;
    let (mut left, mut left_count, mut right_count) = (Bounds::EMPTY, 0usize, count);
    for split in 1..BINS {
        left = left.union(bin_bounds[split - 1]);
        left_count += bin_counts[split - 1];
        right_count -= bin_counts[split - 1];
        if left_count == 0 || right_count == 0 {
            continue;
        }
        let cost = left.half_area() * left_count as f32 + right_area[split] * right_count as f32;
        if best.is_none_or(|b| cost < b.1) {
            best = Some((split, cost));
        }
    }
    let parent_area = bounds.half_area().max(f32::MIN_POSITIVE);
    let leaf_cost = count as f32;
    match best {
        Some((split, cost))
            if count > MAX_LEAF || TRAVERSAL_COST + cost / parent_area < leaf_cost =>
        {
            let mid = partition(range, |p| bin_of(p) < split);
            Some(mid)
        }
        None if count > MAX_LEAF => Some(count / 2),
        _ => None,
    }
}

/// Moves the elements for which `left` holds to the front; returns how many there are.
fn partition(range: &mut [u32], left: impl Fn(u32) -> bool) -> usize {
    let mut mid = 0;
    for i in 0..range.len() {
        if left(range[i]) {
            range.swap(i, mid);
            mid += 1;
        }
    }
    mid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_box(c: Vec3) -> Bounds {
        Bounds {
            min: c - 0.25,
            max: c + 0.25,
        }
    }

    #[test]
    fn nearest_finds_the_first_box_on_a_ray_among_many() {
        // A 20 × 20 × 20 lattice of small boxes; a ray along +z through column (3, 5).
        let mut prims = Vec::new();
        for x in 0..20 {
            for y in 0..20 {
                for z in 0..20 {
                    prims.push(unit_box(Vec3::new(x as f32, y as f32, z as f32)));
                }
            }
        }
        let bvh = Bvh::build(&prims);
        assert!(bvh.node_count() > 100);
        let origin = Vec3::new(3.0, 5.0, -10.0);
        let dir = Vec3::Z;
        let inv = dir.recip();
        let mut tested = 0;
        let hit = bvh.nearest(
            |b, t| b.ray_entry(origin, inv, t),
            |p| {
                tested += 1;
                prims[p as usize].ray_entry(origin, inv, f32::INFINITY)
            },
        );
        let (p, t) = hit.expect("a hit");
        assert_eq!(prims[p as usize].center(), Vec3::new(3.0, 5.0, 0.0));
        assert!((t - 9.75).abs() < 1e-5, "{t}");
        assert!(
            tested < 200,
            "front-to-back traversal tested {tested} boxes"
        );
        // Pointing away: no hit.
        let back = Vec3::NEG_Z.recip();
        assert!(
            bvh.nearest(
                |b, t| b.ray_entry(origin, back, t),
                |p| prims[p as usize].ray_entry(origin, back, f32::INFINITY)
            )
            .is_none()
        );
    }

    #[test]
    fn coincident_and_bad_boxes_build_and_are_found() {
        let mut prims = vec![unit_box(Vec3::ONE); 100];
        prims.push(Bounds {
            min: Vec3::NAN,
            max: Vec3::ONE,
        });
        prims.push(Bounds::EMPTY);
        let bvh = Bvh::build(&prims);
        let mut seen = 0;
        assert!(!bvh.any(
            |_| true,
            |p| {
                assert!(p < 100, "a bad box was kept");
                seen += 1;
                false
            }
        ));
        assert_eq!(seen, 100);
        assert!(
            Bvh::build(&[])
                .nearest(|_, _| Some(0.0), |_| Some(0.0))
                .is_none()
        );
    }
}
