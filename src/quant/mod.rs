//! Quantization (integer, scaled float, MX). Under construction.
