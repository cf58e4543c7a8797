//! The batch API over slices. Under construction.
