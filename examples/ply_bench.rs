//! Times reading a PLY file: `cargo run --release --example ply_bench -- FILE [SPLATS [SH]]`.
//! With SPLATS, first writes a synthetic INRIA splat file of that many splats (SH degree SH,
//! default 0) to FILE. Measure peak memory with `/usr/bin/time -v`.

use std::path::PathBuf;
use std::time::Instant;
use worldsmith::import::Progress;
use worldsmith::import::ply::{PlyContent, read_ply, write_synthetic_splat_ply};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().unwrap_or_else(|| "splats.ply".into()));
    if let Some(count) = args.next() {
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
