//! Which tensors are quantized and where every output tensor goes, decided before anything is
//! written, by the rules of llm-compressor's `model_free_ptq`:
//!
//! - A tensor `<module>.<param>` is quantized when `param` is `weight`, `module` does not end
//!   in `norm`, and no ignore pattern matches `module` (an exact name, or `re:` and a regular
//!   expression matched at the start of the name, as Python's `re.match`).
//! - A 3-D tensor whose name holds `gate_up_proj` (or `down_proj`) is first split into 2-D
//!   experts `<…>.<e>.gate_proj.weight` and `<…>.<e>.up_proj.weight` (or `<…>.<e>.down_proj`).
//! - For NVFP4 and MXFP4, the partners of a fused set (`k_proj`/`v_proj` of a `q_proj`,
//!   `up_proj` of a `gate_proj`, `w3` of a `w1`, `wkv_a_with_mqa` of a `wq_a`) move to the
//!   shard of the set's first member, and NVFP4 members share one global scale.

use crate::checkpoint::{Checkpoint, TensorRef};
use crate::scheme::{torch_dtype, Part, Scheme};
use anyhow::{anyhow, bail, Result};
use regex::Regex;
use safetensors::tensor::Dtype;
use std::collections::{BTreeMap, HashMap, HashSet};

/// An ignore (or target) pattern.
pub enum Pattern {
    /// Matches this module name exactly.
    Exact(String),
    /// `re:` + a regular expression, matched at the start of the name.
    Regex(Regex),
}

impl Pattern {
    /// Parses `s` (`re:` prefix for a regular expression).
    pub fn parse(s: &str) -> Result<Pattern> {
        match s.strip_prefix("re:") {
            Some(r) => Ok(Pattern::Regex(Regex::new(&format!("^(?:{r})")).map_err(
                |e| anyhow!("ignore pattern {s:?}: not a regular expression lowp understands: {e}"),
            )?)),
            None => Ok(Pattern::Exact(s.to_string())),
        }
    }

    /// Whether `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Exact(e) => e == name,
            Pattern::Regex(r) => r.is_match(name),
        }
    }
}

/// A tensor as model_free_ptq sees it after splitting fused experts: a source tensor, or a
/// run of whole rows of one.
#[derive(Clone, Debug)]
pub struct Item {
    /// Name in the output (before quantization suffixes).
    pub name: String,
    /// The source tensor (its dtype, shard and start offset).
    pub src: TensorRef,
    /// Quantized: the module name (name without `.weight`).
    pub module: Option<String>,
    /// NVFP4 fused set this weight shares a global scale with (index into `Plan::fused`).
    pub fused: Option<usize>,
}

/// One output tensor.
#[derive(Clone, Debug)]
pub struct OutTensor {
    /// Its name.
    pub name: String,
    /// Its dtype.
    pub dtype: Dtype,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The item it comes from.
    pub item: usize,
    /// None: copied bytes; Some: this part of the item's quantization.
    pub part: Option<Part>,
}

impl OutTensor {
    /// Size in bytes.
    pub fn nbytes(&self) -> usize {
        self.shape.iter().product::<usize>() * self.dtype.bitsize() / 8
    }
}

/// One output shard.
#[derive(Debug)]
pub struct OutShard {
    /// Relative path (the source shard's).
    pub rel: String,
    /// Its tensors, in no particular order (the writer sorts as safetensors does).
    pub tensors: Vec<OutTensor>,
}

/// Everything the quantize command will write.
pub struct Plan {
    /// The scheme.
    pub scheme: Scheme,
    /// The items (split tensors included).
    pub items: Vec<Item>,
    /// NVFP4 fused sets (item indices).
    pub fused: Vec<Vec<usize>>,
    /// Output shards.
    pub shards: Vec<OutShard>,
}

/// Natural sort key, as llm-compressor's: digit runs compare as numbers.
fn natural_key(s: &str) -> Vec<(bool, String, u128)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digits = false;
    let flush = |cur: &mut String, digits: bool, out: &mut Vec<(bool, String, u128)>| {
        if digits {
            out.push((
                true,
                String::new(),
                cur.parse::<u128>().unwrap_or(u128::MAX),
            ));
        } else {
            out.push((false, cur.clone(), 0));
        }
        cur.clear();
    };
    for c in s.chars() {
        let d = c.is_ascii_digit();
        if d != digits {
            flush(&mut cur, digits, &mut out);
            digits = d;
        }
        cur.push(c);
    }
    flush(&mut cur, digits, &mut out);
    out
}

const FUSED_SETS: [&[&str]; 4] = [
    &[
        r".*(attn|attention)\.q_proj\.weight$",
        r".*(attn|attention)\.k_proj\.weight$",
        r".*(attn|attention)\.v_proj\.weight$",
    ],
    &[
        r".*(attn|attention)\.wq_a\.weight$",
        r".*(attn|attention)\.wkv_a_with_mqa\.weight$",
    ],
    &[r".*mlp\.gate_proj\.weight$", r".*mlp\.up_proj\.weight$"],
    &[r".*w1\.weight$", r".*w3\.weight$"],
];

const PRIMARIES: [(&str, &[&str]); 4] = [
    (
        r"^(?P<prefix>.+?)\.(?P<attn>attn|attention|self_attn|self_attention)\.q_proj\.weight$",
        &[
            "{prefix}.{attn}.k_proj.weight",
            "{prefix}.{attn}.v_proj.weight",
        ],
    ),
    (
        r"^(?P<prefix>.+?)\.(?P<attn>attn|attention|self_attn)\.wq_a\.weight$",
        &["{prefix}.{attn}.wkv_a_with_mqa.weight"],
    ),
    (
        r"^(?P<prefix>.+?)\.(?P<mlp>mlp|feed_forward)\.gate_proj\.weight$",
        &["{prefix}.{mlp}.up_proj.weight"],
    ),
    (r"^(?P<prefix>.+?)\.w1\.weight$", &["{prefix}.w3.weight"]),
];

/// The fused sets among `names`, as llm-compressor's `get_fused_names`: names in natural
/// order, each set filled eagerly; a target matched twice before its set is complete is an
/// error.
fn fused_sets(names: &[&str]) -> Result<Vec<Vec<String>>> {
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort_by_cached_key(|s| natural_key(s));
    let mut sets = Vec::new();
    for targets in FUSED_SETS {
        let res: Vec<Regex> = targets
            .iter()
            .map(|t| Regex::new(&format!("^(?:{t})")).unwrap())
            .collect();
        let mut cur: Vec<Option<&str>> = vec![None; targets.len()];
        for name in &sorted {
            for (i, r) in res.iter().enumerate() {
                if r.is_match(name) {
                    if let Some(prev) = cur[i] {
                        bail!(
                            "tensors {prev} and {name} both match {} before their fused set is complete \
                             (llm-compressor refuses this checkpoint layout for microscale schemes)",
                            targets[i]
                        );
                    }
                    cur[i] = Some(name);
                }
            }
            if cur.iter().all(Option::is_some) {
                sets.push(cur.iter().map(|s| s.unwrap().to_string()).collect());
                cur = vec![None; targets.len()];
            }
        }
    }
    Ok(sets)
}

/// Splits fused 3-D MoE expert tensors as model_free_ptq does.
fn split_experts(t: &TensorRef, out: &mut Vec<(String, TensorRef)>) -> Result<()> {
    let keys: Vec<(&str, &[&str])> = [
        ("gate_up_proj", &["gate_proj", "up_proj"][..]),
        ("down_proj", &["down_proj"][..]),
    ]
    .into_iter()
    .filter(|(k, _)| t.name.contains(k))
    .collect();
    if keys.len() >= 2 {
        bail!(
            "tensor {}: name matches both gate_up_proj and down_proj",
            t.name
        );
    }
    if keys.len() == 1 && t.shape.len() == 3 {
        let (key, parts) = keys[0];
        let (experts, rows, cols) = (t.shape[0], t.shape[1], t.shape[2]);
        if rows % parts.len() != 0 {
            bail!(
                "tensor {}: {key} expects a second dimension divisible by {} but got shape {:?}",
                t.name,
                parts.len(),
                t.shape
            );
        }
        let inter = rows / parts.len();
        let esize = t.dtype.bitsize() / 8;
        for e in 0..experts {
            for (p, part) in parts.iter().enumerate() {
                let mut name = t.name.replace(key, &format!("{e}.{part}"));
                if !name.ends_with(".weight") {
                    name.push_str(".weight");
                }
                let off = ((e * rows + p * inter) * cols * esize) as u64;
                out.push((
                    name,
                    TensorRef {
                        name: t.name.clone(),
                        dtype: t.dtype,
                        shape: vec![inter, cols],
                        shard: t.shard,
                        start: t.start + off,
                        len: inter * cols * esize,
                    },
                ));
            }
        }
    } else {
        out.push((t.name.clone(), t.clone()));
    }
    Ok(())
}

/// The module name of a quantized tensor, or None (kept as is).
pub fn quantized_module(name: &str, ignore: &[Pattern]) -> Option<String> {
    let (module, param) = match name.rfind('.') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => ("", name),
    };
    if module.ends_with("norm") || param != "weight" {
        return None;
    }
    if ignore.iter().any(|p| p.matches(module)) {
        return None;
    }
    Some(module.to_string())
}

impl Plan {
    /// Plans the quantization of `ck`. Every check that can fail happens here.
    pub fn new(ck: &Checkpoint, scheme: Scheme, ignore: &[Pattern]) -> Result<Plan> {
        // 1. Jobs: the tensors of each output shard (partners relocated for microscale).
        let mut job_of: Vec<usize> = ck.tensors.iter().map(|t| t.shard).collect();
        if scheme.is_microscale() {
            let prims: Vec<(Regex, &[&str])> = PRIMARIES
                .iter()
                .map(|(p, d)| (Regex::new(p).unwrap(), *d))
                .collect();
            let mut deps: HashMap<usize, Vec<usize>> = HashMap::new();
            let mut all_deps: HashSet<usize> = HashSet::new();
            for (i, t) in ck.tensors.iter().enumerate() {
                for (re, partners) in &prims {
                    if let Some(c) = re.captures(&t.name) {
                        for p in partners.iter() {
                            let mut n = p.to_string();
                            for g in ["prefix", "attn", "mlp"] {
                                if let Some(m) = c.name(g) {
                                    n = n.replace(&format!("{{{g}}}"), m.as_str());
                                }
                            }
                            let j = *ck.by_name.get(&n).ok_or_else(|| {
                                anyhow!(
                                    "tensor {} (in {}) needs its fused partner {n}, which is in no shard",
                                    t.name,
                                    ck.shards[t.shard].rel
                                )
                            })?;
                            deps.entry(i).or_default().push(j);
                            all_deps.insert(j);
                        }
                    }
                }
            }
            for (i, ds) in &deps {
                if all_deps.contains(i) {
                    continue;
                }
                for &j in ds {
                    job_of[j] = ck.tensors[*i].shard;
                }
            }
            for (s, shard) in ck.shards.iter().enumerate() {
                if ck.tensors.iter().any(|t| t.shard == s) && !job_of.contains(&s) {
                    bail!(
                        "{}: every tensor of this shard is a fused partner of a tensor in another shard; \
                         llm-compressor writes no such shard and lowp follows it",
                        shard.rel
                    );
                }
            }
        }

        // 2. Items (experts split), their quantization, checks.
        let mut items: Vec<Item> = Vec::new();
        let mut item_job: Vec<usize> = Vec::new();
        for (i, t) in ck.tensors.iter().enumerate() {
            let mut parts = Vec::new();
            split_experts(t, &mut parts).map_err(|e| anyhow!("{}: {e}", ck.shards[t.shard].rel))?;
            for (name, src) in parts {
                let module = quantized_module(&name, ignore);
                if module.is_some() {
                    let file = &ck.shards[src.shard].rel;
                    if torch_dtype(src.dtype).is_none() {
                        bail!(
                            "{file}: tensor {name}: unsupported dtype {:?} for quantization (bf16, f16 or f32; \
                             or add it to --ignore)",
                            src.dtype
                        );
                    }
                    scheme.check_shape(&src.shape).map_err(|e| {
                        anyhow!("{file}: tensor {name}: {e} (or add its module to --ignore)")
                    })?;
                }
                items.push(Item {
                    name,
                    src,
                    module,
                    fused: None,
                });
                item_job.push(job_of[i]);
            }
        }

        // 3. NVFP4 fused sets, per job.
        let mut fused = Vec::new();
        if scheme.is_microscale() {
            let mut by_job: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for (k, &j) in item_job.iter().enumerate() {
                by_job.entry(j).or_default().push(k);
            }
            for ks in by_job.values() {
                let names: Vec<String> = ks.iter().map(|&k| items[k].name.clone()).collect();
                let index: HashMap<String, usize> =
                    ks.iter().map(|&k| (items[k].name.clone(), k)).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                for set in fused_sets(&refs)? {
                    let members: Vec<usize> = set
                        .iter()
                        .map(|n| index[n])
                        .filter(|&k| items[k].module.is_some())
                        .collect();
                    if scheme.has_global_scale() && !members.is_empty() {
                        for &k in &members {
                            items[k].fused = Some(fused.len());
                        }
                        fused.push(members);
                    }
                }
            }
        }

        // 4. Output tensors per shard.
        let mut shards: Vec<OutShard> = ck
            .shards
            .iter()
            .map(|s| OutShard {
                rel: s.rel.clone(),
                tensors: Vec::new(),
            })
            .collect();
        for (k, it) in items.iter().enumerate() {
            let out = &mut shards[item_job[k]].tensors;
            match &it.module {
                None => out.push(OutTensor {
                    name: it.name.clone(),
                    dtype: it.src.dtype,
                    shape: it.src.shape.clone(),
                    item: k,
                    part: None,
                }),
                Some(m) => {
                    for (part, dtype, shape) in
                        scheme.outputs(it.src.dtype, it.src.shape[0], it.src.shape[1])
                    {
                        out.push(OutTensor {
                            name: format!("{m}.{}", part.suffix()),
                            dtype,
                            shape,
                            item: k,
                            part: Some(part),
                        });
                    }
                }
            }
        }
        let mut seen = HashSet::new();
        for s in &shards {
            for t in &s.tensors {
                if !seen.insert(t.name.as_str()) {
                    bail!("two output tensors would both be named {}", t.name);
                }
            }
        }
        Ok(Plan {
            scheme,
            items,
            fused,
            shards,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_patterns_as_compressed_tensors() {
        let ig = [
            Pattern::parse("lm_head").unwrap(),
            Pattern::parse("re:.*mlp.gate$").unwrap(),
        ];
        assert_eq!(quantized_module("lm_head.weight", &ig), None);
        assert_eq!(
            quantized_module("model.layers.0.mlp.gate.weight", &ig),
            None
        );
        assert_eq!(
            quantized_module("model.layers.0.mlp.gate_proj.weight", &ig).as_deref(),
            Some("model.layers.0.mlp.gate_proj")
        );
        assert_eq!(quantized_module("model.norm.weight", &ig), None);
        assert_eq!(
            quantized_module("model.layers.0.self_attn.q_proj.bias", &ig),
            None
        );
        // Matched at the start only, as re.match.
        let ig = [Pattern::parse("re:layers").unwrap()];
        assert!(quantized_module("model.layers.0.q.weight", &ig).is_some());
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["l.10.a", "l.9.a", "l.1.b"];
        v.sort_by_cached_key(|s| natural_key(s));
        assert_eq!(v, ["l.1.b", "l.9.a", "l.10.a"]);
    }

    #[test]
    fn fused_sets_eager() {
        let names = [
            "m.layers.0.self_attn.k_proj.weight",
            "m.layers.0.self_attn.q_proj.weight",
            "m.layers.0.self_attn.v_proj.weight",
            "m.layers.0.mlp.gate_proj.weight",
            "m.layers.0.mlp.up_proj.weight",
        ];
        let s = fused_sets(&names).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0][0], "m.layers.0.self_attn.q_proj.weight");
    }
}
