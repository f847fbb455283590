//! Times reading a PLY file: `cargo run --release --example ply_bench -- FILE [SPLATS [SH]]`.
//! With SPLATS, first writes a synthetic INRIA splat file of that many splats (SH degree SH,
//! default 0) to FILE; with `points N` instead, a coloured point cloud of N points laid out
//! like HY-World's `points.ply` (x, y, z as float, red, green, blue as uchar). Measure peak
//! memory with `/usr/bin/time -v`, or open the file with `worldsmith bench-import FILE`.

use std::path::PathBuf;
use std::time::Instant;
use worldsmith::import::Progress;
use worldsmith::import::ply::{PlyContent, read_ply, write_synthetic_splat_ply};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().unwrap_or_else(|| "splats.ply".into()));
    if let Some(count) = args.next() {
        if count == "points" {
            let n: u64 = args.next().map_or(Ok(2_000_000), |s| s.parse())?;
            let start = Instant::now();
            write_points(&path, n)?;
            println!("wrote {} in {:.2?}", path.display(), start.elapsed());
            return Ok(());
        }
        let sh: u8 = args.next().map_or(Ok(0), |s| s.parse())?;
        let start = Instant::now();
        write_synthetic_splat_ply(&path, count.parse()?, sh, 1)?;
        println!("wrote {} in {:.2?}", path.display(), start.elapsed());
        return Ok(());
    }
    let size = std::fs::metadata(&path)?.len();
    let start = Instant::now();
    let (content, warnings) = read_ply(&path, &Progress::new())?;
    let elapsed = start.elapsed();
    let what = match &content {
        PlyContent::Mesh(m) => format!("mesh: {} triangles", m.triangle_count()),
        PlyContent::Points(p) => format!("points: {}", p.len()),
        PlyContent::Splats(s) => format!("splats: {} (SH {})", s.len(), s.sh_degree),
    };
    println!(
        "{}: {what}, {} MB in {elapsed:.2?} ({:.0} MB/s), {} warnings",
        path.display(),
        size / 1_000_000,
        size as f64 / 1e6 / elapsed.as_secs_f64(),
        warnings.len()
    );
    Ok(())
}

/// A binary little-endian coloured point cloud: a noisy ground sheet with a few walls, which
/// compresses and sorts like a reconstruction (not a uniform cube).
fn write_points(path: &std::path::Path, count: u64) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    write!(
        out,
        "ply\nformat binary_little_endian 1.0\nelement vertex {count}\nproperty float x\n\
         property float y\nproperty float z\nproperty uchar red\nproperty uchar green\n\
         property uchar blue\nend_header\n"
    )?;
    let mut next = worldsmith::import::ply::unit_floats(0x5EED);
    for i in 0..count {
        let (u, v, n) = (next() * 40.0 - 20.0, next() * 40.0 - 20.0, next() * 0.05);
        // Every fourth point on a wall (x = const), the rest on the ground (OpenCV y down).
        let (p, c) = if i % 4 == 0 {
            (
                [(u / 10.0).round() * 10.0 + n, -next() * 6.0, v],
                [180u8, 170, 150],
            )
        } else {
            ([u, 1.5 + n, v], [90u8, 120, 60])
        };
        for x in p {
            out.write_all(&x.to_le_bytes())?;
        }
        out.write_all(&c)?;
    }
    out.flush()
}
