//! PNG output (feature `png`): the figure's SVG rasterised with `resvg`, text set in the
//! embedded DejaVu fonts (`assets/fonts/`, Bitstream Vera licence, see `COPYRIGHT-DejaVu`), so
//! the result is the same on every machine and needs no system fonts. Rendering the finished
//! SVG (rather than drawing twice with a bitmap back-end) keeps one code path per figure.

use crate::error::{Error, Result};

static SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static MONO: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");

/// Rasterises `svg` to PNG bytes at `scale` × its pixel size.
///
/// # Errors
/// [`Error::Other`] if the SVG does not parse or the image cannot be allocated/encoded;
/// [`Error::NotPositive`] for a bad scale.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>> {
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(Error::NotPositive {
            name: "png scale",
            value: f64::from(scale),
        });
    }
    use resvg::{tiny_skia, usvg};
    let mut opt = usvg::Options::default();
    {
        let db = opt.fontdb_mut();
        db.load_font_data(SANS.to_vec());
        db.load_font_data(MONO.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        db.set_monospace_family("DejaVu Sans Mono");
        db.set_serif_family("DejaVu Sans");
    }
    opt.font_family = "DejaVu Sans".into();
    let tree =
        usvg::Tree::from_str(svg, &opt).map_err(|e| Error::Other(format!("svg parse: {e}")))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| Error::Other("png: image size overflow".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| Error::Other("png: cannot allocate image".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| Error::Other(format!("png encode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_text_with_embedded_fonts() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="25" font-family="sans-serif" font-size="16">goodhart</text></svg>"#;
        let png = svg_to_png(svg, 1.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // text was drawn: the decoded image is not all white
        let img = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert!(
            img.pixels().iter().any(|p| p.red() < 128),
            "no glyph pixels"
        );
        assert!(svg_to_png(svg, 0.0).is_err());
        assert!(svg_to_png("<not svg", 1.0).is_err());
    }
}
