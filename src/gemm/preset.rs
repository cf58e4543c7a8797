//! Presets: every (architecture, instruction) that MMA-Sim lists, named as PTX and AMD's
//! `mfma` suffixes name them, mapped to its arithmetic model.

use super::alloc::format;
use super::alloc::string::{String, ToString};
use super::alloc::vec::Vec;
use super::model::{Model, OutputRounding};
use crate::format::Spec;
use crate::formats::table;
use crate::Error;

/// The format of a matrix operand slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// A lowp format (for TF32 slots, `f32` operands are accepted too and truncated to TF32,
    /// as the hardware reads them).
    Format(Spec),
    /// IEEE binary64 (the `f64` instructions, modelled as sequential FMA): `f64` is not a
    /// lowp [`crate::Format`], so these presets run through [`super::matmul_f64`] (and
    /// [`super::matmul`] rejects them with an `Err`).
    F64,
}

impl Operand {
    /// The format's reference name.
    pub fn name(&self) -> &'static str {
        match self {
            Operand::Format(s) => s.name,
            Operand::F64 => "float64",
        }
    }
}

/// Block scaling of an instruction (`kind::mxf8f6f4`, `kind::mxf4`, `kind::mxf4nvf4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockScale {
    /// Elements of k per scale (16 or 32).
    pub block: usize,
    /// The scale format: E8M0 (`ue8m0`), or E4M3FN read with its sign bit cleared (`ue4m3`).
    pub format: Spec,
}

/// One matrix instruction's arithmetic: shape, operand formats and model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mma {
    pub(crate) arch: &'static str,
    pub(crate) op: &'static str,
    pub(crate) name: String,
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) a: Operand,
    pub(crate) b: Operand,
    pub(crate) c: Operand,
    pub(crate) d: Operand,
    pub(crate) scale: Option<BlockScale>,
    pub(crate) model: Model,
}

impl Mma {
    /// The architecture, as given (`"Hopper"`, `"CDNA3"`, …).
    pub fn arch(&self) -> &'static str {
        self.arch
    }
    /// The instruction: `"mma"`, `"wgmma"`, `"tcgen05.mma"` or `"mfma"`.
    pub fn op(&self) -> &'static str {
        self.op
    }
    /// The shape-and-type string or suffix, as given.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The instruction's m.
    pub fn m(&self) -> usize {
        self.m
    }
    /// The instruction's n.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The instruction's k: a matrix product's k must be a multiple of it.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Format of A.
    pub fn a(&self) -> Operand {
        self.a
    }
    /// Format of B.
    pub fn b(&self) -> Operand {
        self.b
    }
    /// Format of the C operand (the accumulator read).
    pub fn c(&self) -> Operand {
        self.c
    }
    /// Format of D (the accumulator written).
    pub fn d(&self) -> Operand {
        self.d
    }
    /// Block scaling, for the block-scaled kinds.
    pub fn block_scale(&self) -> Option<BlockScale> {
        self.scale
    }
    /// The arithmetic model and its parameters.
    pub fn model(&self) -> Model {
        self.model
    }

    /// An instruction with a model of your own (for experiments): operands `a`, `b`, an
    /// accumulator in the model's output format, shape `k` (the chunking unit).
    pub fn custom(model: Model, a: Spec, b: Spec, k: usize) -> Result<Mma, Error> {
        if k == 0 {
            return Err(Error::InvalidInput("an instruction's k must be at least 1"));
        }
        if matches!(model, Model::StFdpa { .. } | Model::GstFdpa { .. }) {
            return Err(Error::InvalidInput(
                "block-scaled models need a block-scaled preset (Mma::nvidia)",
            ));
        }
        let acc = Operand::Format(model.output_spec());
        Ok(Mma {
            arch: "custom",
            op: "custom",
            name: model.name().to_string(),
            m: 1,
            n: 1,
            k,
            a: Operand::Format(a),
            b: Operand::Format(b),
            c: acc,
            d: acc,
            scale: None,
            model,
        })
    }

    /// The NVIDIA instruction `op` (`"mma"`, `"wgmma"`, `"tcgen05.mma"`) of PTX shape and
    /// types `shape_and_type` on `arch` (`"Volta"`, `"Turing"`, `"Ampere"`, `"Ada Lovelace"`,
    /// `"Hopper"`, `"Blackwell"`, `"RTX Blackwell"`), exactly as MMA-Sim lists them, e.g.
    /// `("Hopper", "wgmma", "m64n256k32.f32.e4m3.e4m3")`,
    /// `("Ampere", "mma", "m16n8k16.f32.bf16.bf16.f32")`,
    /// `("RTX Blackwell", "mma", "m16n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.f32.ue4m3")`.
    ///
    /// ```
    /// use lowp::gemm::{Mma, Model, OutputRounding};
    /// let mma = Mma::nvidia("Hopper", "wgmma", "m64n256k32.f32.e4m3.e4m3").unwrap();
    /// assert_eq!(mma.k(), 32);
    /// assert_eq!(
    ///     mma.model(),
    ///     Model::TFdpa { f: 13, rounding: OutputRounding::TowardZeroE8M13, group: 32, e_zero: -133 }
    /// );
    /// assert!(Mma::nvidia("Volta", "wgmma", "m64n8k16.f32.f16.f16").is_err());
    /// ```
    pub fn nvidia(arch: &str, op: &str, shape_and_type: &str) -> Result<Mma, Error> {
        let arch = NV_ARCHS
            .iter()
            .copied()
            .find(|a| *a == arch)
            .ok_or(Error::InvalidInput(
                "unknown NVIDIA architecture (Volta, Turing, Ampere, Ada Lovelace, Hopper, Blackwell, RTX Blackwell)",
            ))?;
        let op = ["mma", "wgmma", "tcgen05.mma"]
            .into_iter()
            .find(|o| *o == op)
            .ok_or(Error::InvalidInput(
                "unknown NVIDIA instruction (mma, wgmma, tcgen05.mma)",
            ))?;
        let s = shape_and_type;
        let listed = nv_list(arch, op);
        if !listed.iter().any(|x| x == s) {
            return Err(Error::InvalidInput(
                "this shape and type is not an instruction of that architecture as MMA-Sim lists them",
            ));
        }
        let t: Vec<&str> = s.split('.').collect();
        let (m, n, k) = nv_mnk(t[0]).ok_or(Error::InvalidInput("bad shape"))?;
        let block = t
            .iter()
            .find_map(|x| x.strip_prefix("block"))
            .and_then(|x| x.parse::<usize>().ok());
        // Type fields after the shape, the kind and the block.
        let ty: Vec<&str> = t[1..]
            .iter()
            .copied()
            .filter(|x| !x.starts_with("kind::") && !x.starts_with("block"))
            .collect();
        let (d, a, b, c, sty) = match (op, block.is_some()) {
            ("mma", false) => (ty[0], ty[1], ty[2], ty[3], None),
            ("mma", true) => (ty[0], ty[1], ty[2], ty[3], Some(ty[4])),
            (_, false) => (ty[0], ty[1], ty[2], ty[0], None),
            (_, true) => (ty[0], ty[1], ty[2], ty[0], Some(ty[3])),
        };
        let (a, b, c, d) = (nv_type(a), nv_type(b), nv_type(c), nv_type(d));
        let f16_out = d == Operand::Format(table::F16);
        let itemsize = match a {
            Operand::F64 => 8,
            Operand::Format(s) if s.bits > 16 => 4,
            Operand::Format(s) if s.bits > 8 => 2,
            _ => 1,
        };
        let is_fp8 = matches!(a, Operand::Format(s) if s == table::F8E4M3FN || s == table::F8E5M2);
        let scale = match (block, sty) {
            (Some(block), Some(sty)) => Some(BlockScale {
                block,
                format: if sty == "ue4m3" {
                    table::F8E4M3FN
                } else {
                    table::F8E8M0FNU
                },
            }),
            _ => None,
        };
        let rounding = |fp8_e8m13: bool| {
            if f16_out {
                OutputRounding::NearestEvenF16
            } else if fp8_e8m13 {
                OutputRounding::TowardZeroE8M13
            } else {
                OutputRounding::TowardZeroF32
            }
        };
        let model = if scale.is_some() {
            if k == 64 {
                Model::GstFdpa {
                    g: 16,
                    f: 35,
                    rounding: OutputRounding::TowardZeroF32,
                    group: 64,
                    e_zero: -139,
                }
            } else {
                Model::StFdpa {
                    f: 25,
                    rounding: OutputRounding::TowardZeroF32,
                    group: 32,
                    e_zero: -133,
                }
            }
        } else if a == Operand::F64 {
            Model::Fma
        } else if op == "mma" {
            let i = NV_ARCHS.iter().position(|x| *x == arch).unwrap_or(0);
            let mut f = [23, 24, 24, 24, 25, 25, 25][i];
            let mut group = [8, 16, 16, 16, 32, 32, 32][i] / itemsize;
            let mut e_zero = if f16_out {
                [-19, -20, -20, -20, -21, -21, -21][i]
            } else {
                [-131, -132, -132, -132, -133, -133, -133][i]
            };
            if arch == "Turing" && nv_list("Volta", "mma").iter().any(|x| x == s) {
                // Volta's shapes on Turing keep Volta's arithmetic.
                f = 23;
                group = 4;
                e_zero = if f16_out { -19 } else { -131 };
            }
            let ada_fp8 = arch == "Ada Lovelace" && is_fp8;
            if ada_fp8 {
                f = 13;
            }
            Model::TFdpa {
                f,
                rounding: rounding(ada_fp8),
                group,
                e_zero,
            }
        } else {
            // wgmma (Hopper) and tcgen05.mma (Blackwell).
            let e8m13 = op == "wgmma" && is_fp8;
            Model::TFdpa {
                f: if e8m13 { 13 } else { 25 },
                rounding: rounding(e8m13),
                group: 32 / itemsize,
                e_zero: if f16_out { -21 } else { -133 },
            }
        };
        let op: &'static str = match op {
            "mma" => "mma",
            "wgmma" => "wgmma",
            _ => "tcgen05.mma",
        };
        Ok(Mma {
            arch,
            op,
            name: s.to_string(),
            m,
            n,
            k,
            a,
            b,
            c,
            d,
            scale,
            model,
        })
    }

    /// The AMD `v_mfma_<suffix>` instruction on `arch` (`"CDNA1"`, `"CDNA2"`, `"CDNA3"`),
    /// suffix as MMA-Sim lists them, e.g. `"f32_32x32x16_fp8_fp8"`, `"f32_32x32x8f16"`.
    ///
    /// ```
    /// use lowp::gemm::{Mma, Model};
    /// let mma = Mma::amd("CDNA3", "f32_32x32x16_fp8_fp8").unwrap();
    /// assert_eq!(mma.model().name(), "GTR-FDPA");
    /// assert_eq!(Mma::amd("CDNA1", "f32_32x32x8f16").unwrap().model(), Model::EFdpa { group: 4 });
    /// ```
    pub fn amd(arch: &str, suffix: &str) -> Result<Mma, Error> {
        let (arch, list): (&'static str, Vec<&'static str>) = match arch {
            "CDNA1" => ("CDNA1", CDNA1.to_vec()),
            "CDNA2" => ("CDNA2", [&CDNA2[..], &CDNA1[..]].concat()),
            "CDNA3" => ("CDNA3", CDNA3.to_vec()),
            _ => {
                return Err(Error::InvalidInput(
                    "unknown AMD architecture (CDNA1, CDNA2, CDNA3)",
                ))
            }
        };
        if !list.contains(&suffix) {
            return Err(Error::InvalidInput(
                "this suffix is not an mfma instruction of that architecture as MMA-Sim lists them",
            ));
        }
        let q: Vec<&'static str> = list
            .iter()
            .find(|x| **x == suffix)
            .map(|x| x.split('_').collect())
            .unwrap_or_default();
        let (d, shape, a, b): (&str, &str, &str, &str) = match q.len() {
            2 => {
                let st = q[1];
                if let Some(sh) = st.strip_suffix("bf16") {
                    (q[0], sh, "bf16", "bf16")
                } else {
                    let (sh, t) = st.split_at(st.len() - 3);
                    (q[0], sh, t, t)
                }
            }
            3 if q[2] == "1k" => (
                q[0],
                q[1].strip_suffix("bf16").unwrap_or(q[1]),
                "bf16",
                "bf16",
            ),
            3 => (q[0], q[1], q[2], q[2]),
            _ if q[3] == "fp8" || q[3] == "bf8" => (q[0], q[1], q[2], q[3]),
            _ => (q[0], q[1], q[3], q[3]),
        };
        let dims: Vec<usize> = shape.split('x').filter_map(|x| x.parse().ok()).collect();
        if dims.len() != 3 {
            return Err(Error::InvalidInput("bad mfma shape"));
        }
        let (a, b, d) = (amd_type(a), amd_type(b), amd_type(d));
        let xf32 = suffix.ends_with("xf32");
        let model = match a {
            Operand::F64 => Model::Fma,
            Operand::Format(s) if s == table::F32 && !xf32 => Model::Fma,
            Operand::Format(s) if s == table::F8E4M3FNUZ || s == table::F8E5M2FNUZ => {
                Model::GtrFdpa {
                    f: 24,
                    f2: 31,
                    rounding: OutputRounding::NearestEvenF32,
                    group: 16,
                }
            }
            Operand::Format(s) => match arch {
                "CDNA1" => Model::EFdpa {
                    group: if s == table::F16 { 4 } else { 2 },
                },
                "CDNA2" => Model::FtzMulAdd {
                    pairs: if s == table::BF16 && !suffix.ends_with("_1k") {
                        2
                    } else {
                        4
                    },
                },
                _ => Model::TrFdpa {
                    f: 24,
                    f2: 31,
                    rounding: OutputRounding::NearestEvenF32,
                    group: if s == table::TF32 { 4 } else { 8 },
                },
            },
        };
        Ok(Mma {
            arch,
            op: "mfma",
            name: suffix.to_string(),
            m: dims[0],
            n: dims[1],
            k: dims[2],
            a,
            b,
            c: d,
            d,
            scale: None,
            model,
        })
    }

    /// Every preset MMA-Sim lists, as `(vendor, arch, op, name)`; `vendor` is `"nvidia"` or
    /// `"amd"` (for AMD, `op` is `"mfma"` and `name` the suffix).
    pub fn all() -> Vec<(&'static str, &'static str, &'static str, String)> {
        let mut v = Vec::new();
        for arch in NV_ARCHS {
            for op in ["mma", "wgmma", "tcgen05.mma"] {
                for s in nv_list(arch, op) {
                    v.push(("nvidia", arch, op, s));
                }
            }
        }
        for (arch, list) in [
            ("CDNA1", CDNA1.to_vec()),
            ("CDNA2", [&CDNA2[..], &CDNA1[..]].concat()),
            ("CDNA3", CDNA3.to_vec()),
        ] {
            for s in list {
                v.push(("amd", arch, "mfma", s.to_string()));
            }
        }
        v
    }
}

const NV_ARCHS: [&str; 7] = [
    "Volta",
    "Turing",
    "Ampere",
    "Ada Lovelace",
    "Hopper",
    "Blackwell",
    "RTX Blackwell",
];

const F8F6F4: [&str; 5] = ["e5m2", "e4m3", "e3m2", "e2m3", "e2m1"];

fn nv_type(t: &str) -> Operand {
    Operand::Format(match t {
        "f64" => return Operand::F64,
        "f32" => table::F32,
        "tf32" => table::TF32,
        "f16" => table::F16,
        "bf16" => table::BF16,
        "e4m3" => table::F8E4M3FN,
        "e5m2" => table::F8E5M2,
        "e3m2" => table::F6E3M2FN,
        "e2m3" => table::F6E2M3FN,
        _ => table::F4E2M1FN,
    })
}

fn amd_type(t: &str) -> Operand {
    Operand::Format(match t {
        "f64" => return Operand::F64,
        "f32" => table::F32,
        "xf32" => table::TF32,
        "f16" => table::F16,
        "bf16" => table::BF16,
        "fp8" => table::F8E4M3FNUZ,
        _ => table::F8E5M2FNUZ,
    })
}

fn nv_mnk(shape: &str) -> Option<(usize, usize, usize)> {
    let r = shape.strip_prefix('m')?;
    let (m, r) = r.split_once('n')?;
    let (n, k) = r.split_once('k')?;
    Some((m.parse().ok()?, n.parse().ok()?, k.parse().ok()?))
}

/// The shape-and-type strings MMA-Sim accepts for `op` on `arch`.
fn nv_list(arch: &str, op: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let sm70 = |v: &mut Vec<String>| {
        for t in ["f32.f16.f16.f32", "f32.f16.f16.f16", "f16.f16.f16.f16"] {
            v.push(format!("m8n8k4.{t}"));
        }
    };
    let sm75 = |v: &mut Vec<String>| {
        for t in ["f32.f16.f16.f32", "f16.f16.f16.f16"] {
            v.push(format!("m16n8k8.{t}"));
        }
    };
    let sm80 = |v: &mut Vec<String>| {
        for t in [
            "m8n8k4.f64.f64.f64.f64",
            "m16n8k8.f32.tf32.tf32.f32",
            "m16n8k4.f32.tf32.tf32.f32",
            "m16n8k16.f32.f16.f16.f32",
            "m16n8k16.f16.f16.f16.f16",
            "m16n8k16.f32.bf16.bf16.f32",
            "m16n8k8.f32.bf16.bf16.f32",
        ] {
            v.push(t.to_string());
        }
    };
    let sm89 = |v: &mut Vec<String>| {
        for k in [32, 16] {
            for d in ["f32", "f16"] {
                for a in ["e5m2", "e4m3"] {
                    for b in ["e5m2", "e4m3"] {
                        v.push(format!("m16n8k{k}.{d}.{a}.{b}.{d}"));
                    }
                }
            }
        }
    };
    let sm90 = |v: &mut Vec<String>| {
        for k in [16, 8, 4] {
            v.push(format!("m16n8k{k}.f64.f64.f64.f64"));
        }
    };
    let sm120 = |v: &mut Vec<String>| {
        for d in ["f32", "f16"] {
            for a in F8F6F4 {
                for b in F8F6F4 {
                    v.push(format!("m16n8k32.kind::f8f6f4.{d}.{a}.{b}.{d}"));
                }
            }
        }
        // Block-scaled.
        for a in F8F6F4 {
            for b in F8F6F4 {
                v.push(format!(
                    "m16n8k32.kind::mxf8f6f4.block32.f32.{a}.{b}.f32.ue8m0"
                ));
            }
        }
        v.push("m16n8k64.kind::mxf4.block32.f32.e2m1.e2m1.f32.ue8m0".to_string());
        v.push("m16n8k64.kind::mxf4nvf4.block32.f32.e2m1.e2m1.f32.ue8m0".to_string());
        v.push("m16n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.f32.ue8m0".to_string());
        v.push("m16n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.f32.ue4m3".to_string());
    };
    match (arch, op) {
        ("Volta", "mma") => sm70(&mut v),
        ("Turing", "mma") => {
            sm75(&mut v);
            sm70(&mut v);
        }
        ("Ampere", "mma") | ("Blackwell", "mma") => {
            sm80(&mut v);
            sm75(&mut v);
        }
        ("Ada Lovelace", "mma") => {
            sm89(&mut v);
            sm80(&mut v);
            sm75(&mut v);
        }
        ("Hopper", "mma") => {
            sm90(&mut v);
            sm80(&mut v);
            sm75(&mut v);
        }
        ("RTX Blackwell", "mma") => {
            sm120(&mut v);
            sm89(&mut v);
            sm80(&mut v);
            sm75(&mut v);
        }
        ("Hopper", "wgmma") => {
            for n in (8..=256).step_by(8) {
                v.push(format!("m64n{n}k8.f32.tf32.tf32"));
                v.push(format!("m64n{n}k16.f32.f16.f16"));
                v.push(format!("m64n{n}k16.f16.f16.f16"));
                v.push(format!("m64n{n}k16.f32.bf16.bf16"));
                for d in ["f32", "f16"] {
                    for a in ["e5m2", "e4m3"] {
                        for b in ["e5m2", "e4m3"] {
                            v.push(format!("m64n{n}k32.{d}.{a}.{b}"));
                        }
                    }
                }
            }
        }
        ("Blackwell", "tcgen05.mma") => {
            for m in [64, 128] {
                for n in (8..=256).step_by(8) {
                    v.push(format!("m{m}n{n}k8.kind::tf32.f32.tf32.tf32"));
                    for ab in ["f16", "bf16"] {
                        v.push(format!("m{m}n{n}k16.kind::f16.f32.{ab}.{ab}"));
                    }
                    v.push(format!("m{m}n{n}k16.kind::f16.f16.f16.f16"));
                    for d in ["f32", "f16"] {
                        for a in F8F6F4 {
                            for b in F8F6F4 {
                                v.push(format!("m{m}n{n}k32.kind::f8f6f4.{d}.{a}.{b}"));
                            }
                        }
                    }
                }
            }
            for n in (8..=256).step_by(8) {
                for a in F8F6F4 {
                    for b in F8F6F4 {
                        v.push(format!(
                            "m128n{n}k32.kind::mxf8f6f4.block32.f32.{a}.{b}.ue8m0"
                        ));
                    }
                }
                v.push(format!(
                    "m128n{n}k64.kind::mxf4.block32.f32.e2m1.e2m1.ue8m0"
                ));
                v.push(format!(
                    "m128n{n}k64.kind::mxf4nvf4.block32.f32.e2m1.e2m1.ue8m0"
                ));
                for s in ["ue8m0", "ue4m3"] {
                    v.push(format!(
                        "m128n{n}k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.{s}"
                    ));
                }
            }
        }
        _ => {}
    }
    v
}

const CDNA1: [&str; 15] = [
    "f32_32x32x2f32",
    "f32_32x32x1f32",
    "f32_16x16x4f32",
    "f32_16x16x1f32",
    "f32_4x4x1f32",
    "f32_32x32x8f16",
    "f32_32x32x4f16",
    "f32_16x16x16f16",
    "f32_16x16x4f16",
    "f32_4x4x4f16",
    "f32_32x32x4bf16",
    "f32_32x32x2bf16",
    "f32_16x16x8bf16",
    "f32_16x16x2bf16",
    "f32_4x4x2bf16",
];

const CDNA2: [&str; 7] = [
    "f64_16x16x4f64",
    "f64_4x4x4f64",
    "f32_32x32x8bf16_1k",
    "f32_32x32x4bf16_1k",
    "f32_16x16x16bf16_1k",
    "f32_16x16x4bf16_1k",
    "f32_4x4x4bf16_1k",
];

const CDNA3: [&str; 27] = [
    "f64_16x16x4_f64",
    "f64_4x4x4_4b_f64",
    "f32_32x32x1_2b_f32",
    "f32_16x16x1_4b_f32",
    "f32_4x4x1_16b_f32",
    "f32_32x32x2_f32",
    "f32_16x16x4_f32",
    "f32_16x16x8_xf32",
    "f32_32x32x4_xf32",
    "f32_32x32x4_2b_f16",
    "f32_16x16x4_4b_f16",
    "f32_4x4x4_16b_f16",
    "f32_32x32x8_f16",
    "f32_16x16x16_f16",
    "f32_32x32x4_2b_bf16",
    "f32_16x16x4_4b_bf16",
    "f32_4x4x4_16b_bf16",
    "f32_32x32x8_bf16",
    "f32_16x16x16_bf16",
    "f32_16x16x32_bf8_bf8",
    "f32_16x16x32_bf8_fp8",
    "f32_16x16x32_fp8_bf8",
    "f32_16x16x32_fp8_fp8",
    "f32_32x32x16_bf8_bf8",
    "f32_32x32x16_bf8_fp8",
    "f32_32x32x16_fp8_bf8",
    "f32_32x32x16_fp8_fp8",
];
