//! `enum_with_unknown!`: protocol-number enums that never lose a value.

/// Declares an enum of named protocol numbers plus an `Unknown(repr)` variant, with `From`
/// conversions both ways, so a number read off the wire always round-trips even when it has no
/// name here.
macro_rules! enum_with_unknown {
    (
        $( #[$enum_attr:meta] )*
        pub enum $name:ident($ty:ty) {
            $(
              $( #[$variant_attr:meta] )*
              $variant:ident = $value:expr => $label:expr
            ),+ $(,)?
        }
    ) => {
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Clone, Copy)]
        $( #[$enum_attr] )*
        pub enum $name {
            $(
              $( #[$variant_attr] )*
              $variant
            ),*,
            /// A value this crate has no name for, kept as read.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            #[inline]
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant ),*,
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            #[inline]
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value ),*,
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// Every value with a name, for field tables whose kind is a code.
            pub const NAMES: &'static [(u32, &'static str)] = &[$( ($value as u32, $label) ),*];

            /// The short human name, or `None` for a value without one.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($label) ),*,
                    $name::Unknown(_) => None,
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(label) => f.write_str(label),
                    None => write!(f, "unknown ({})", <$ty>::from(*self)),
                }
            }
        }
    };
}

/// The view type every header has, smoltcp's shape: `Packet<T>` (or `Frame<T>`) holding only
/// its buffer, with `into_inner`, `new_unchecked` and `new_checked`, which runs the type's own
/// `check_len`. Only the checks differ between protocols, so only they are written out.
macro_rules! packet_view {
    // A header of fixed length: its `check_len` only asks that many bytes.
    ($(#[$attr:meta])* $name:ident, fixed $len:expr, $layer:expr) => {
        packet_view! { $(#[$attr])* $name }

        impl<T: AsRef<[u8]>> $name<T> {
            /// Checks that the header is complete.
            pub fn check_len(&self) -> $crate::error::Result<()> {
                let have = self.buffer.as_ref().len();
                if have < $len {
                    return Err($crate::error::WireError::truncated($layer, $len, have));
                }
                Ok(())
            }
        }
    };
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $name<T> {
            /// Returns the underlying buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            /// Wraps a buffer without checking it.
            pub const fn new_unchecked(buffer: T) -> $name<T> {
                $name { buffer }
            }

            /// Wraps a buffer after `check_len`. When emitting into a reused buffer use
            /// `new_unchecked`: its old length fields mean nothing.
            pub fn new_checked(buffer: T) -> $crate::error::Result<$name<T>> {
                let p = Self::new_unchecked(buffer);
                p.check_len()?;
                Ok(p)
            }
        }
    };
}
