//! Writing output shards: the header as the safetensors library writes it (tensors sorted by
//! dtype, largest first, then by name; JSON padded with spaces to 8 bytes), then each tensor's
//! bytes, streamed: copied tensors straight from the source map, quantized ones band by band,
//! each band computed on all cores. Memory stays near one chunk per thread.

use crate::checkpoint::{Checkpoint, TensorRef};
use crate::plan::{OutShard, OutTensor, Plan};
use crate::scheme::{global_scale, quantize_band, Part};
use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use rayon::prelude::*;
use safetensors::tensor::{Dtype, Metadata, TensorInfo};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use tempfile::NamedTempFile;

/// Bytes of source read per chunk.
const CHUNK: usize = 64 << 20;
/// Bytes of source per parallel task.
const TASK: usize = 1 << 20;

/// Set by the Ctrl-C handler; checked between chunks.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Errors with "interrupted" once Ctrl-C was pressed.
pub fn check_interrupt_pub() -> Result<()> {
    check_interrupt()
}

fn check_interrupt() -> Result<()> {
    if INTERRUPTED.load(Ordering::Relaxed) {
        bail!("interrupted");
    }
    Ok(())
}

/// The header bytes (length prefix included) and the data offsets of `tensors`, which it sorts
/// into safetensors order.
pub fn header(tensors: &mut [OutTensor]) -> Result<Vec<u8>> {
    tensors.sort_by(|a, b| b.dtype.cmp(&a.dtype).then_with(|| a.name.cmp(&b.name)));
    let mut off = 0usize;
    let mut infos = Vec::with_capacity(tensors.len());
    for t in tensors.iter() {
        let n = t.nbytes();
        infos.push((
            t.name.clone(),
            TensorInfo {
                dtype: t.dtype,
                shape: t.shape.clone(),
                data_offsets: (off, off + n),
            },
        ));
        off += n;
    }
    let meta = Metadata::new(None, infos).map_err(|e| anyhow!("cannot build header: {e}"))?;
    let mut json = serde_json::to_string(&meta)?.into_bytes();
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    Ok(out)
}

/// Source values of a byte run as `f32` (exact).
pub fn to_f32(dtype: Dtype, bytes: &[u8], out: &mut Vec<f32>) {
    out.clear();
    // Fast path: aligned little-endian data viewed in place (mapped tensors nearly always are).
    if cfg!(target_endian = "little") {
        match dtype {
            Dtype::BF16 => {
                if let Ok(h) = bytemuck::try_cast_slice::<u8, u16>(bytes) {
                    out.extend(h.iter().map(|&b| f32::from_bits((b as u32) << 16)));
                    return;
                }
            }
            Dtype::F16 => {
                if let Ok(h) = bytemuck::try_cast_slice::<u8, half::f16>(bytes) {
                    out.resize(h.len(), 0.0);
                    half::slice::HalfFloatSliceExt::convert_to_f32_slice(h, &mut out[..]);
                    return;
                }
            }
            Dtype::F32 => {
                if let Ok(h) = bytemuck::try_cast_slice::<u8, f32>(bytes) {
                    out.extend_from_slice(h);
                    return;
                }
            }
            _ => {}
        }
    }
    match dtype {
        Dtype::BF16 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16)),
        ),
        Dtype::F16 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32()),
        ),
        Dtype::F32 => out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ),
        _ => unreachable!("checked source dtype"),
    }
}

/// The shard writer's shared state.
pub struct Writer<'a> {
    ck: &'a Checkpoint,
    plan: &'a Plan,
    globals: Vec<OnceLock<Result<f32, String>>>,
    progress: &'a ProgressBar,
}

impl<'a> Writer<'a> {
    /// A writer for `plan`.
    pub fn new(ck: &'a Checkpoint, plan: &'a Plan, progress: &'a ProgressBar) -> Self {
        Writer {
            ck,
            plan,
            globals: (0..plan.fused.len()).map(|_| OnceLock::new()).collect(),
            progress,
        }
    }

    fn file_of(&self, t: &TensorRef) -> &str {
        &self.ck.shards[t.shard].rel
    }

    /// Largest magnitude of a tensor (errors on NaN or ±∞).
    fn amax(&self, name: &str, t: &TensorRef) -> Result<f32> {
        let mut m = 0f32;
        let esize = t.dtype.bitsize() / 8;
        self.for_each_chunk(t, 1, |bytes, _| {
            let r: Result<f32, ()> = bytes
                .par_chunks(TASK / esize * esize)
                .map(|c| {
                    let mut x = Vec::new();
                    to_f32(t.dtype, c, &mut x);
                    let a = lowp::quant::producer::ct_amax(&x);
                    if a.is_finite() && x.iter().all(|v| v.is_finite()) {
                        Ok(a)
                    } else {
                        Err(())
                    }
                })
                .try_reduce(|| 0.0, |a, b| Ok(a.max(b)));
            match r {
                Ok(a) => {
                    m = m.max(a);
                    Ok(())
                }
                Err(()) => bail!(
                    "{}: tensor {name} holds NaN or infinite values",
                    self.file_of(t)
                ),
            }
        })?;
        Ok(m)
    }

    /// Calls `f` on runs of whole row bands (the source bytes), `rows_per_band` rows each, at
    /// most about [`CHUNK`] bytes of source at a time; the map is dropped after each call.
    fn for_each_chunk(
        &self,
        t: &TensorRef,
        rows_per_band: usize,
        mut f: impl FnMut(&[u8], usize) -> Result<()>,
    ) -> Result<()> {
        let esize = t.dtype.bitsize() / 8;
        let (rows, cols) = match t.shape.len() {
            0 => (1, 1),
            1 => (1, t.shape[0]),
            _ => (t.shape[0], t.shape[1..].iter().product()),
        };
        let row_bytes = cols * esize;
        let band_bytes = row_bytes * rows_per_band;
        let bands_per_chunk = (CHUNK / band_bytes.max(1)).max(1);
        let shard = &self.ck.shards[t.shard];
        let mut r0 = 0;
        while r0 < rows {
            check_interrupt()?;
            let r1 = (r0 + bands_per_chunk * rows_per_band).min(rows);
            let map = shard.map(t.start + (r0 * row_bytes) as u64, (r1 - r0) * row_bytes)?;
            f(&map, r1 - r0)?;
            drop(map);
            r0 = r1;
        }
        Ok(())
    }

    fn global(&self, item: usize) -> Result<f32> {
        let it = &self.plan.items[item];
        match it.fused {
            None => Ok(global_scale(self.amax(&it.name, &it.src)?, it.src.dtype)),
            Some(f) => self.globals[f]
                .get_or_init(|| {
                    let mut m = 0f32;
                    for &k in &self.plan.fused[f] {
                        let o = &self.plan.items[k];
                        m = m.max(self.amax(&o.name, &o.src).map_err(|e| format!("{e:#}"))?);
                    }
                    Ok(global_scale(m, it.src.dtype))
                })
                .clone()
                .map_err(|e| anyhow!(e)),
        }
    }

    /// Writes one quantized part to `w`.
    fn write_part(&self, w: &mut impl Write, t: &OutTensor, part: Part) -> Result<()> {
        let it = &self.plan.items[t.item];
        let src = &it.src;
        let (rows, cols) = (src.shape[0], src.shape[1]);
        let scheme = self.plan.scheme;
        match part {
            Part::Shape => {
                w.write_all(&(rows as i64).to_le_bytes())?;
                w.write_all(&(cols as i64).to_le_bytes())?;
                return Ok(());
            }
            Part::Global => {
                w.write_all(&self.global(t.item)?.to_le_bytes())?;
                return Ok(());
            }
            _ => {}
        }
        let global = if scheme.has_global_scale() {
            self.global(t.item)?
        } else {
            1.0
        };
        let band = scheme.row_block();
        let esize = src.dtype.bitsize() / 8;
        let bands_per_task = (TASK / (cols * esize * band).max(1)).max(1);
        let file = self.file_of(src).to_string();
        let name = it.name.clone();
        let is_data = part != Part::Scale;
        self.for_each_chunk(src, band, |bytes, nrows| {
            let per_task = bands_per_task * band * cols * esize;
            let outs: Result<Vec<Vec<u8>>> = bytes
                .par_chunks(per_task)
                .map(|raw| {
                    let mut task = Vec::new();
                    to_f32(src.dtype, raw, &mut task);
                    let mut out = Vec::with_capacity(if is_data { task.len() } else { 64 });
                    for b in task.chunks(band * cols) {
                        if !quantize_band(scheme, part, src.dtype, b, cols, global, &mut out) {
                            bail!("{file}: tensor {name} holds NaN or infinite values");
                        }
                    }
                    Ok(out)
                })
                .collect();
            for o in outs? {
                w.write_all(&o)?;
            }
            if is_data {
                self.progress.inc((nrows * cols * esize) as u64);
            }
            Ok(())
        })
    }

    /// Writes `shard` to a temporary file in `dir`; returns it and the shard's tensor bytes.
    pub fn write_shard(&self, shard: &OutShard, dir: &Path) -> Result<(NamedTempFile, u64)> {
        let mut tensors = shard.tensors.clone();
        let head = header(&mut tensors)?;
        let tmp = tempfile::Builder::new()
            .prefix(".lowp-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        let mut w = BufWriter::with_capacity(8 << 20, tmp.as_file());
        w.write_all(&head)?;
        let mut total = 0u64;
        for t in &tensors {
            check_interrupt()?;
            let before = total;
            total += t.nbytes() as u64;
            match t.part {
                None => {
                    let src = &self.plan.items[t.item].src;
                    let s = &self.ck.shards[src.shard];
                    let mut done = 0;
                    while done < src.len {
                        check_interrupt()?;
                        let n = (src.len - done).min(CHUNK);
                        let map = s.map(src.start + done as u64, n)?;
                        w.write_all(&map)?;
                        done += n;
                        self.progress.inc(n as u64);
                    }
                }
                Some(p) => self.write_part(&mut w, t, p)?,
            }
            let _ = before;
        }
        w.flush()?;
        drop(w);
        let written = tmp.as_file().metadata()?.len();
        if written != head.len() as u64 + total {
            bail!(
                "internal error: {} has {written} bytes, expected {}",
                shard.rel,
                head.len() as u64 + total
            );
        }
        Ok((tmp, total))
    }
}
