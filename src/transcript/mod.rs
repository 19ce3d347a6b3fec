//! The transcript core: pure Rust, no DuckDB types.
//!
//! Bytes become lines ([`lines`]), a line becomes a typed [`record::Record`] (through the fast
//! reader [`skim`] when it can, serde_json otherwise), and a file's
//! records become [`event::Event`]s and a [`summary::Summary`] ([`session`]). The rules are
//! those of the reference module (`usage_lib.py`, processor version 2) with the deliberate
//! differences listed in the README.

/// The set operations of a bit-set newtype over an unsigned integer with an `ALL` constant
/// ([`Fields`], [`summary::Parts`]): union (also `|`), containment, complement within `ALL`, and
/// the raw bits.
macro_rules! bit_set {
    ($name:ident, $int:ty) => {
        impl $name {
            /// Both sets.
            pub const fn with(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }

            /// Whether every member of `other` is in the set.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// The set with the bits of `bits` (those outside `ALL` are dropped).
            pub const fn from_bits(bits: $int) -> $name {
                $name(bits & $name::ALL.0)
            }

            pub const fn bits(self) -> $int {
                self.0
            }

            /// The members of `ALL` not in the set.
            pub const fn complement(self) -> $name {
                $name(!self.0 & $name::ALL.0)
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, other: $name) -> $name {
                self.with(other)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, other: $name) {
                *self = self.with(other);
            }
        }
    };
}

pub mod blocks;
pub mod event;
pub mod lines;
pub mod prices;
pub mod record;
pub mod session;
pub mod skim;
pub mod summary;
pub mod timestamp;
pub mod usage;

pub use event::{Event, EventType, Fields};
pub use session::{scan_bytes, Needs, SessionOutput, SessionScanner};
pub use summary::Summary;
