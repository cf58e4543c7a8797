//! Writing output shards: the header as the safetensors library writes it (tensors sorted by
//! dtype, largest first, then by name; JSON padded with spaces to 8 bytes), then each tensor's
//! bytes at the offset the header gives it. Every offset is known before anything is written,
//! so each quantized weight is read once: one fused pass fills its data tensor and its
//! `weight_scale` together (they sit apart in the file, as the safetensors order puts them),
//! chunk by chunk, each chunk's rows quantized on all cores. A writer thread puts the finished
//! chunks into the file with positioned writes while the next chunk is computed; copied
//! tensors go to it as read-only maps of the source, so their bytes are copied once, by the
//! kernel. Memory stays near a few chunks: the maps are dropped once written and the output
//! buffers are recycled.

use crate::checkpoint::{Checkpoint, TensorRef};
use crate::plan::{OutShard, OutTensor, Plan};
use crate::scheme::{
    fp8_block_rows, fp8_block_scales, global_scale, quantize_band_into, torch_dtype, Part, Rows,
};
use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use memmap2::Mmap;
use rayon::prelude::*;
use safetensors::tensor::{Dtype, Metadata, TensorInfo};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;
use tempfile::NamedTempFile;

/// Bytes of source mapped per chunk.
const CHUNK: usize = 16 << 20;
/// The sizes used: [`CHUNK`], [`TASK`], [`PIECE`], [`COPY`]; or, with the environment
/// variable `LOWP_TINY_CHUNKS` set (for the tests: every tensor of a small checkpoint then
/// spans many chunks, tasks and pieces), 4 KiB, 512 B, 256 and 1 KiB.
fn sizes() -> (usize, usize, usize, usize) {
    static S: OnceLock<(usize, usize, usize, usize)> = OnceLock::new();
    *S.get_or_init(|| {
        if std::env::var_os("LOWP_TINY_CHUNKS").is_some() {
            (4 << 10, 512, 256, 1 << 10)
        } else {
            (CHUNK, TASK, PIECE, COPY)
        }
    })
}
/// Bytes of source per parallel task (whole row bands, at least one): small enough that a
/// task's output is still in cache when it is written.
const TASK: usize = 256 << 10;
/// Codes per piece of an FP8_BLOCK band written at once.
const PIECE: usize = 64 << 10;
/// Bytes per write of a copied tensor.
const COPY: usize = 1 << 20;

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

/// Writes all of `buf` at `off` of `file`.
fn write_at(file: &File, buf: &[u8], off: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, buf, off)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut off) = (buf, off);
        while !buf.is_empty() {
            let n = std::os::windows::fs::FileExt::seek_write(file, buf, off)?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
            off += n as u64;
        }
        Ok(())
    }
}

/// Bytes written to a shard between two background flushes.
const SYNC_EVERY: u64 = 256 << 20;

/// A thread that flushes files to the disk (fsync) while the command goes on writing, so that
/// the final flush before the renames has little left to wait for.
pub struct Syncer {
    tx: Sender<File>,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl Syncer {
    /// Starts the thread.
    pub fn start() -> Syncer {
        let (tx, rx) = channel::<File>();
        let thread = std::thread::spawn(move || {
            let mut first_error = Ok(());
            for f in rx {
                if let Err(e) = f.sync_all() {
                    if first_error.is_ok() {
                        first_error = Err(e);
                    }
                }
            }
            first_error
        });
        Syncer { tx, thread }
    }

    /// Asks for `file` to be flushed (what is written to it by then, at least).
    pub fn request(&self, file: &File) {
        // A file that cannot be cloned is flushed at the end anyway.
        if let Ok(f) = file.try_clone() {
            let _ = self.tx.send(f);
        }
    }

    /// Waits for every flush asked for; the first error, if any.
    pub fn finish(self) -> Result<()> {
        drop(self.tx);
        self.thread
            .join()
            .map_err(|_| anyhow!("the fsync thread panicked"))?
            .context("cannot flush the output to the disk")
    }
}

/// The output file of a shard, written at known offsets from any thread.
struct Out<'f> {
    file: &'f File,
    rel: &'f str,
    written: AtomicU64,
    syncer: Option<&'f Syncer>,
    next_sync: AtomicU64,
}

impl Out<'_> {
    fn write(&self, buf: &[u8], off: u64) -> Result<()> {
        write_at(self.file, buf, off).with_context(|| format!("cannot write {}", self.rel))?;
        let n = self.written.fetch_add(buf.len() as u64, Ordering::Relaxed) + buf.len() as u64;
        if let Some(s) = self.syncer {
            let next = self.next_sync.load(Ordering::Relaxed);
            if n >= next
                && self
                    .next_sync
                    .compare_exchange(next, n + SYNC_EVERY, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                s.request(self.file);
            }
        }
        Ok(())
    }
}

thread_local! {
    /// Each worker's output buffer (a task's data, small enough to stay in its cache).
    static TASK_OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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
        self.for_each_chunk(t, 1, |map, _, _| {
            let a = map
                .par_chunks((sizes().1 / esize).max(1) * esize)
                .map(|c| Rows::Raw(t.dtype, c).amax(0, c.len() / esize))
                .reduce(
                    || 0.0,
                    |a, b| {
                        if !a.is_nan() && (b.is_nan() || b > a) {
                            b
                        } else {
                            a
                        }
                    },
                );
            if !a.is_finite() {
                bail!(
                    "{}: tensor {name} holds NaN or infinite values",
                    self.file_of(t)
                );
            }
            m = m.max(a);
            Ok(())
        })?;
        Ok(m)
    }

    /// Calls `f(map, first row, rows)` on runs of whole row bands (`rows_per_band` rows each),
    /// about [`CHUNK`] bytes of source at a time, each a fresh read-only map of the source.
    fn for_each_chunk(
        &self,
        t: &TensorRef,
        rows_per_band: usize,
        mut f: impl FnMut(Mmap, usize, usize) -> Result<()>,
    ) -> Result<()> {
        let esize = t.dtype.bitsize() / 8;
        let (rows, cols) = match t.shape.len() {
            0 => (1, 1),
            1 => (1, t.shape[0]),
            _ => (t.shape[0], t.shape[1..].iter().product()),
        };
        let row_bytes = cols * esize;
        let band_bytes = row_bytes * rows_per_band;
        let bands_per_chunk = (sizes().0 / band_bytes.max(1)).max(1);
        let shard = &self.ck.shards[t.shard];
        let mut r0 = 0;
        while r0 < rows {
            check_interrupt()?;
            let r1 = (r0 + bands_per_chunk * rows_per_band).min(rows);
            let map = shard.map(t.start + (r0 * row_bytes) as u64, (r1 - r0) * row_bytes)?;
            f(map, r0, r1 - r0)?;
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

    /// Quantizes one weight in one pass: its data tensor goes to `data_off`, its
    /// `weight_scale` to `scale_off`. Each chunk's rows are split in tasks of about
    /// [`TASK`] bytes of source, run on all cores; each task quantizes into its thread's
    /// buffer and writes it straight away (while it is in cache); a chunk's scales follow in
    /// one write.
    fn quantize_item(&self, out: &Out, item: usize, data_off: u64, scale_off: u64) -> Result<()> {
        let it = &self.plan.items[item];
        let src = &it.src;
        let dtype = src.dtype;
        let cols = src.shape[1];
        let scheme = self.plan.scheme;
        let global = if scheme.has_global_scale() {
            self.global(item)?
        } else {
            1.0
        };
        let esize = dtype.bitsize() / 8;
        // A band: the rows that one call of the fused quantizer takes (FP8_BLOCK's scales span
        // 128 rows; the others take any whole rows).
        let block = scheme.row_block();
        let band = if block > 1 {
            block
        } else {
            (sizes().1 / (cols * esize)).max(1)
        };
        let (band_data, band_scale) = scheme.band_bytes(dtype, band, cols);
        // Bytes of the data and scale tensors before row `r` (a multiple of `band`).
        let before = |r: usize| -> (u64, u64) {
            if block > 1 {
                ((r * cols) as u64, (r / band * band_scale) as u64)
            } else {
                let (d, s) = scheme.band_bytes(dtype, r, cols);
                (d as u64, s as u64)
            }
        };
        let failed = || {
            anyhow!(
                "{}: tensor {} holds NaN or infinite values",
                self.file_of(src),
                it.name
            )
        };
        self.for_each_chunk(src, band, |map, r0, nrows| {
            let (d0, s0) = before(r0);
            let s1 = if block > 1 {
                s0 + (nrows.div_ceil(band) * band_scale) as u64
            } else {
                before(r0 + nrows).1
            };
            let mut scale = vec![0u8; (s1 - s0) as usize];
            if block > 1 {
                // FP8_BLOCK: a task is a band of 128 rows; its scales first (a pass over the
                // band), then its codes a few rows at a time, each piece written while in cache.
                let w = torch_dtype(dtype).expect("checked source dtype");
                let piece_rows = (sizes().2 / cols).max(1);
                map.par_chunks(band * cols * esize)
                    .zip(scale.par_chunks_mut(band_scale))
                    .enumerate()
                    .try_for_each(|(k, (x, s))| {
                        let mut sv = vec![0f32; cols.div_ceil(128)];
                        if !fp8_block_scales(dtype, Rows::Raw(dtype, x), cols, s, &mut sv) {
                            return Err(failed());
                        }
                        TASK_OUT.with(|buf| {
                            let mut buf = buf.borrow_mut();
                            let band_off = data_off + d0 + (k * band_data) as u64;
                            for (p, xp) in x.chunks(piece_rows * cols * esize).enumerate() {
                                buf.resize(xp.len() / esize, 0);
                                fp8_block_rows(w, Rows::Raw(dtype, xp), cols, &sv, &mut buf);
                                out.write(&buf, band_off + (p * piece_rows * cols) as u64)?;
                            }
                            Ok(())
                        })
                    })?;
            } else {
                // A task is a band of whole rows (about TASK bytes of source).
                map.par_chunks(band * cols * esize)
                    .zip(scale.par_chunks_mut(band_scale))
                    .enumerate()
                    .try_for_each(|(k, (x, s))| {
                        TASK_OUT.with(|buf| {
                            let mut buf = buf.borrow_mut();
                            let rows = x.len() / (cols * esize);
                            buf.resize(scheme.band_bytes(dtype, rows, cols).0, 0);
                            let x = Rows::Raw(dtype, x);
                            if !quantize_band_into(scheme, dtype, x, cols, global, &mut buf, s) {
                                return Err(failed());
                            }
                            out.write(&buf, data_off + d0 + (k * band_data) as u64)
                        })
                    })?;
            }
            drop(map);
            out.write(&scale, scale_off + s0)?;
            self.progress.inc((nrows * cols * esize) as u64);
            Ok(())
        })
    }

    /// Writes every tensor of a shard (sorted, their data from offset `base`) into `out`.
    fn produce(&self, out: &Out, tensors: &[OutTensor], base: u64) -> Result<()> {
        let mut offsets = Vec::with_capacity(tensors.len());
        let mut at: HashMap<(usize, Part), u64> = HashMap::new();
        let mut off = base;
        for t in tensors {
            offsets.push(off);
            if let Some(p) = t.part {
                at.insert((t.item, p), off);
            }
            off += t.nbytes() as u64;
        }
        for (t, &off) in tensors.iter().zip(&offsets) {
            check_interrupt()?;
            match t.part {
                None => {
                    let src = &self.plan.items[t.item].src;
                    let s = &self.ck.shards[src.shard];
                    let mut done = 0;
                    while done < src.len {
                        check_interrupt()?;
                        let (chunk, copy) = (sizes().0, sizes().3);
                        let n = (src.len - done).min(chunk);
                        let map = s.map(src.start + done as u64, n)?;
                        map.par_chunks(copy)
                            .enumerate()
                            .try_for_each(|(k, piece)| {
                                out.write(piece, off + (done + k * copy) as u64)
                            })?;
                        done += n;
                        self.progress.inc(n as u64);
                    }
                }
                Some(Part::Shape) => {
                    let src = &self.plan.items[t.item].src;
                    let mut b = (src.shape[0] as i64).to_le_bytes().to_vec();
                    b.extend_from_slice(&(src.shape[1] as i64).to_le_bytes());
                    out.write(&b, off)?;
                }
                Some(Part::Global) => out.write(&self.global(t.item)?.to_le_bytes(), off)?,
                // Written with the data tensor.
                Some(Part::Scale) => {}
                Some(Part::Weight | Part::Packed) => {
                    let scale_off = *at
                        .get(&(t.item, Part::Scale))
                        .ok_or_else(|| anyhow!("internal error: {} has no scale", t.name))?;
                    self.quantize_item(out, t.item, off, scale_off)?;
                }
            }
        }
        Ok(())
    }

    /// Writes `shard` to a temporary file in `dir`; returns it and the shard's tensor bytes.
    /// With a `syncer`, the file is flushed to the disk in the background as it grows.
    pub fn write_shard(
        &self,
        shard: &OutShard,
        dir: &Path,
        syncer: Option<&Syncer>,
    ) -> Result<(NamedTempFile, u64)> {
        let mut tensors = shard.tensors.clone();
        let head = header(&mut tensors)?;
        let total: u64 = tensors.iter().map(|t| t.nbytes() as u64).sum();
        let tmp = tempfile::Builder::new()
            .prefix(".lowp-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        let out = Out {
            file: tmp.as_file(),
            rel: &shard.rel,
            written: AtomicU64::new(0),
            syncer,
            next_sync: AtomicU64::new(SYNC_EVERY),
        };
        let base = head.len() as u64;
        out.write(&head, 0)?;
        self.produce(&out, &tensors, base)?;
        // Every byte written once: the regions are disjoint and cover the file.
        let written = out.written.load(Ordering::Relaxed);
        let len = tmp.as_file().metadata()?.len();
        if written != base + total || len != base + total {
            bail!(
                "internal error: {} has {len} bytes ({written} written), expected {}",
                shard.rel,
                base + total
            );
        }
        Ok((tmp, total))
    }
}
