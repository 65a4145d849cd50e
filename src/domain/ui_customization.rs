//! Hosted-page branding as `SetUICustomization` takes it (docs/oauth2.md, "Branding"): a
//! logo (PNG or JPEG, at most 100 KB) and CSS limited to the classes and properties Cognito's
//! classic hosted UI documents. The CSS is checked against an allowlist, not parsed in full:
//! only those class selectors, only their properties, only values made of characters that
//! cannot open a URL, an import, a script or the end of the `<style>` element the pages put
//! it in. What the pages receive is the checked rules written out again, not the text given.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The logo's largest size, decoded (Cognito's limit).
pub const MAX_IMAGE_BYTES: usize = 100 * 1024;
/// The CSS's largest size. Cognito bounds only the whole request (135 KB) and advises 3 KB;
/// a bound of our own keeps one rule set small enough to inline in every page.
pub const MAX_CSS_BYTES: usize = 16 * 1024;

/// The customization key of the pool-wide settings (`ClientId` left out, or `ALL`).
pub const ALL_CLIENTS: &str = "ALL";

/// The classes of the classic hosted UI a rule may select (`.name` or `.name:state`), with
/// the properties each may set.
const CLASSES: &[(&str, &[&str])] = &[
    ("background-customizable", &["background-color"]),
    ("banner-customizable", &["padding", "background-color"]),
    (
        "errorMessage-customizable",
        &[
            "margin",
            "padding",
            "font-size",
            "width",
            "background",
            "border",
            "color",
            "box-sizing",
        ],
    ),
    (
        "idpButton-customizable",
        &[
            "height",
            "width",
            "text-align",
            "margin-bottom",
            "color",
            "background-color",
            "border-color",
        ],
    ),
    (
        "idpButton-customizable:hover",
        &["color", "background-color"],
    ),
    (
        "idpDescription-customizable",
        &["padding-top", "padding-bottom", "display", "font-size"],
    ),
    (
        "inputField-customizable",
        &["width", "height", "color", "background-color", "border"],
    ),
    (
        "inputField-customizable:focus",
        &["border-color", "outline"],
    ),
    ("label-customizable", &["font-weight"]),
    ("legalText-customizable", &["color", "font-size"]),
    ("logo-customizable", &["max-width", "max-height"]),
    ("passwordCheck-notValid-customizable", &["color"]),
    ("passwordCheck-valid-customizable", &["color"]),
    (
        "socialButton-customizable",
        &["height", "text-align", "width", "margin-bottom"],
    ),
    (
        "submitButton-customizable",
        &[
            "font-size",
            "font-weight",
            "margin",
            "width",
            "height",
            "color",
            "background-color",
        ],
    ),
    (
        "submitButton-customizable:hover",
        &["color", "background-color"],
    ),
    (
        "textDescription-customizable",
        &["padding-top", "padding-bottom", "display", "font-size"],
    ),
];

/// The only functions a value may call: colours. Everything else (`url(`, `expression(`,
/// `image-set(`, `var(`, ...) is refused, so a stylesheet cannot fetch or script.
const FUNCTIONS: &[&str] = &["rgb", "rgba", "hsl", "hsla"];

/// A logo's format, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
}

impl ImageType {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "png" => Some(Self::Png),
            "jpeg" => Some(Self::Jpeg),
            _ => None,
        }
    }

    /// PNG's eight-byte signature, or JPEG's start-of-image marker and a segment marker.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }
}

/// A logo as given (`ImageFile`, base64 in the JSON), checked: its bytes and format.
pub fn check_image(base64: &str) -> Result<(Vec<u8>, ImageType), String> {
    let bytes = STANDARD
        .decode(base64.trim())
        .map_err(|_| "ImageFile is not valid base64.".to_owned())?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(format!(
            "ImageFile is {} bytes; the logo may be at most {MAX_IMAGE_BYTES} bytes.",
            bytes.len()
        ));
    }
    let kind = ImageType::sniff(&bytes)
        .ok_or_else(|| "ImageFile must be a PNG or JPEG image.".to_owned())?;
    Ok((bytes, kind))
}

/// CSS as given, checked: the rules written out again in one canonical form (what the pages
/// inline), or why it is refused.
pub fn check_css(css: &str) -> Result<String, String> {
    if css.len() > MAX_CSS_BYTES {
        return Err(format!("CSS may be at most {MAX_CSS_BYTES} bytes."));
    }
    let text = without_comments(css)?;
    let mut written = String::new();
    let mut rest = text.as_str();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (selectors, after) = rest
            .split_once('{')
            .ok_or_else(|| format!("Expected `{{` after `{}`.", excerpt(rest)))?;
        let (body, after) = after
            .split_once('}')
            .ok_or_else(|| "A CSS rule is not closed with `}`.".to_owned())?;
        rest = after;
        let classes = check_selectors(selectors)?;
        written.push_str(
            &classes
                .iter()
                .map(|c| format!(".{c}"))
                .collect::<Vec<_>>()
                .join(","),
        );
        written.push('{');
        for declaration in body.split(';') {
            let declaration = declaration.trim();
            if declaration.is_empty() {
                continue;
            }
            let (property, value) = check_declaration(declaration, &classes)?;
            written.push_str(&format!("{property}:{value};"));
        }
        written.push('}');
    }
    Ok(written)
}

fn excerpt(text: &str) -> String {
    text.chars().take(40).collect::<String>().trim().to_owned()
}

/// The text with its `/* ... */` comments removed.
fn without_comments(css: &str) -> Result<String, String> {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start + 2..]
            .find("*/")
            .ok_or_else(|| "A CSS comment is not closed.".to_owned())?;
        out.push(' ');
        rest = &rest[start + 2 + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A rule's selector list: each one of [`CLASSES`], written `.class` or `.class:state`.
fn check_selectors(selectors: &str) -> Result<Vec<&'static str>, String> {
    selectors
        .split(',')
        .map(|selector| {
            let selector = selector.trim();
            selector
                .strip_prefix('.')
                .and_then(|name| CLASSES.iter().find(|(class, _)| *class == name))
                .map(|(class, _)| *class)
                .ok_or_else(|| {
                    format!(
                        "CSS selector `{}` is not one of the customizable classes.",
                        excerpt(selector)
                    )
                })
        })
        .collect()
}

/// One `property: value`, the property allowed for every class of the rule.
fn check_declaration(declaration: &str, classes: &[&str]) -> Result<(String, String), String> {
    let (property, value) = declaration.split_once(':').ok_or_else(|| {
        format!(
            "Expected `property: value`, got `{}`.",
            excerpt(declaration)
        )
    })?;
    let property = property.trim().to_ascii_lowercase();
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    for class in classes {
        let allowed = CLASSES
            .iter()
            .find(|(name, _)| name == class)
            .is_some_and(|(_, properties)| properties.contains(&property.as_str()));
        if !allowed {
            return Err(format!(
                "CSS property `{}` cannot be customized in .{class}.",
                excerpt(&property)
            ));
        }
    }
    check_value(&value).map_err(|why| format!("CSS value of `{property}` {why}"))?;
    Ok((property, value))
}

/// A value of letters, digits, spaces and `# % . , - + /`, and calls only to [`FUNCTIONS`].
fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty.".into());
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || " #%.,-+/()".contains(*c)))
    {
        return Err(format!("has a character that is not allowed: `{bad}`."));
    }
    let mut depth = 0u32;
    for (index, c) in value.char_indices() {
        match c {
            '(' => {
                let name = value[..index]
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if depth > 0 || !FUNCTIONS.contains(&name.as_str()) {
                    return Err(format!(
                        "calls `{}(`; only colour functions are allowed.",
                        excerpt(&name)
                    ));
                }
                depth += 1;
            }
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| "has an unbalanced `)`.".to_owned())?;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("has an unclosed `(`.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

    use super::*;

    #[test]
    fn documented_classes_and_properties_are_written_out_again() {
        let css = "/* brand */ .banner-customizable { background-color: #0b57d0; padding: 4px 0 4px 0 }\n\
                   .submitButton-customizable:hover, .idpButton-customizable:hover {\n color: rgb(255, 255, 255);\n}";
        assert_eq!(
            check_css(css).unwrap(),
            ".banner-customizable{background-color:#0b57d0;padding:4px 0 4px 0;}\
             .submitButton-customizable:hover,.idpButton-customizable:hover{color:rgb(255, 255, 255);}"
        );
        assert_eq!(check_css("").unwrap(), "");
    }

    #[test]
    fn other_selectors_and_properties_are_refused() {
        for css in [
            "body { color: red }",
            ".banner-customizable div { padding: 0 }",
            ".logo-customizable:hover { max-width: 10% }",
            "* { color: red }",
            ".label-customizable { color: red }",
            ".banner-customizable { background-image: none }",
        ] {
            assert!(check_css(css).is_err(), "{css}");
        }
    }

    #[test]
    fn nothing_can_fetch_script_or_close_the_style_element() {
        for css in [
            ".banner-customizable { background-color: url(https://evil.example/x) }",
            ".banner-customizable { background-color: URL(x) }",
            ".errorMessage-customizable { background: expression(alert(1)) }",
            "@import 'https://evil.example/x.css';",
            ".banner-customizable { background-color: red } @media print { }",
            ".banner-customizable { background-color: red</style><script>x</script> }",
            ".banner-customizable { background-color: \\75rl(x) }",
            ".banner-customizable { background-color: 'x' }",
            ".banner-customizable { background-color: var(--x) }",
            ".banner-customizable { background-color: rgb(rgb(1,2,3)) }",
            ".banner-customizable { background-color: red; } /* open",
            ".banner-customizable { background-color: red",
        ] {
            assert!(check_css(css).is_err(), "{css}");
        }
    }

    #[test]
    fn images_are_png_or_jpeg_within_the_limit() {
        let png = STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        assert_eq!(check_image(&png).unwrap().1, ImageType::Png);
        let jpeg = STANDARD.encode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0]);
        assert_eq!(check_image(&jpeg).unwrap().1, ImageType::Jpeg);
        assert!(check_image(&STANDARD.encode(b"GIF89a....")).is_err());
        assert!(check_image("not base64!").is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(check_image(&STANDARD.encode(&big)).is_err());
        big.truncate(MAX_IMAGE_BYTES);
        assert!(check_image(&STANDARD.encode(&big)).is_ok());
    }
}
