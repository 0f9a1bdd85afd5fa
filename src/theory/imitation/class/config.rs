//! User-defined finite model classes from TOML. (In progress.)
