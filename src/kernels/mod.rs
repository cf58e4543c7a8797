//! Batch kernels and their run-time dispatch. Under construction.
