//! `lowp`: quantize Hugging Face safetensors checkpoints into the compressed-tensors format that
//! vLLM and transformers load (FP8, int8, int4, NVFP4, MXFP4), bit for bit as llm-compressor's
//! `model_free_ptq` writes them; measure what each scheme costs; verify a quantized model
//! against its original; show the bit layout of a number in any format lowp knows.

mod checkpoint;
mod config;
mod dequant;
mod inspect;
mod plan;
mod pyjson;
mod quantize;
mod scheme;
mod stats;
mod verify;
mod write;

use clap::{Parser, Subcommand};
use scheme::Scheme;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lowp",
    version,
    about = "Quantize, measure and verify model checkpoints with lowp's bit-exact formats"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Quantize a checkpoint (directory or .safetensors file) into compressed-tensors format,
    /// as llm-compressor's model_free_ptq writes it.
    Quantize {
        /// Model directory (config, tokenizer, safetensors shards) or one .safetensors file.
        input: PathBuf,
        /// Output directory (created; must be empty unless --force).
        output: PathBuf,
        /// Scheme: FP8_DYNAMIC, FP8_BLOCK, W8A8, W4A16, NVFP4A16, MXFP4A16 or MXFP4.
        #[arg(long)]
        scheme: Scheme,
        /// Module to leave unquantized: an exact module name, or re:REGEX matched at the start
        /// of the name. Repeatable; recorded in order in the config. Default: lm_head.
        #[arg(long = "ignore", value_name = "PATTERN")]
        ignore: Vec<String>,
        /// Write into a non-empty output directory.
        #[arg(long)]
        force: bool,
        /// Print a JSON summary on stdout.
        #[arg(long)]
        json: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Do not fsync the written files before renaming them into place (faster; an error
        /// or Ctrl-C still leaves nothing half-written, but a power loss or OS crash soon
        /// after the command may leave incomplete files under their final names).
        #[arg(long)]
        no_fsync: bool,
    },
    /// Per weight: amax, and the SQNR and max error of each scheme.
    Stats {
        /// Model directory or .safetensors file.
        model: PathBuf,
        /// Schemes to measure (repeatable; default all).
        #[arg(long)]
        scheme: Vec<Scheme>,
        /// Modules to skip, as for quantize. Default: lm_head.
        #[arg(long = "ignore", value_name = "PATTERN")]
        ignore: Vec<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Write an SVG chart of SQNR per weight and scheme.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// Dequantize every quantized weight and report its SQNR against the original; exit 1 if
    /// any is below the threshold.
    Verify {
        /// The quantized model directory.
        quantized: PathBuf,
        /// The original model directory (or .safetensors file).
        original: PathBuf,
        /// Lowest acceptable SQNR in dB.
        #[arg(long, default_value_t = 10.0, value_name = "DB")]
        min_sqnr: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show a number in every format (or one), or list every code of a format.
    Inspect {
        /// The number.
        value: Option<String>,
        /// Only this format.
        #[arg(long)]
        format: Option<String>,
        /// Rounding: nearest-even, nearest-away, toward-zero, toward-positive,
        /// toward-negative, odd.
        #[arg(long, default_value = "nearest-even")]
        rounding: String,
        /// Saturate instead of overflowing to ∞/NaN.
        #[arg(long)]
        saturate: bool,
        /// List every code of this format.
        #[arg(long, value_name = "FORMAT")]
        table: Option<String>,
    },
}

fn default_ignore(v: Vec<String>) -> Vec<String> {
    if v.is_empty() {
        vec!["lm_head".into()]
    } else {
        v
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Quantize {
            input,
            output,
            scheme,
            ignore,
            force,
            json,
            quiet,
            no_fsync,
        } => {
            let _ = ctrlc::set_handler(|| {
                write::INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            let o = quantize::Options {
                input,
                output,
                scheme,
                ignore: default_ignore(ignore),
                force,
                json,
                quiet,
                fsync: !no_fsync,
            };
            quantize::run(&o).map(|summary| {
                if o.json {
                    println!("{}", serde_json::to_string_pretty(&summary).unwrap());
                } else if !o.quiet {
                    eprintln!(
                        "{}: {} weights quantized, {} shard(s), {} → {} bytes of tensors in {:.2} s",
                        o.scheme,
                        summary["weights_quantized"],
                        summary["shards"],
                        summary["bytes_in"],
                        summary["bytes_out"],
                        summary["seconds"].as_f64().unwrap_or(0.0)
                    );
                }
                ExitCode::SUCCESS
            })
        }
        Command::Stats {
            model,
            scheme,
            ignore,
            json,
            svg,
        } => {
            let schemes = if scheme.is_empty() {
                Scheme::ALL.to_vec()
            } else {
                scheme
            };
            stats::run(
                &model,
                &schemes,
                &default_ignore(ignore),
                json,
                svg.as_deref(),
            )
        }
        Command::Verify {
            quantized,
            original,
            min_sqnr,
            json,
        } => verify::run(&quantized, &original, min_sqnr, json),
        Command::Inspect {
            value,
            format,
            rounding,
            saturate,
            table,
        } => inspect::run(
            value.as_deref(),
            format.as_deref(),
            &rounding,
            saturate,
            table.as_deref(),
        ),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lowp: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
