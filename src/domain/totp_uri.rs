//! What an authenticator app scans to enrol: the `otpauth://totp/` key URI of a TOTP secret
//! and its QR code as a PNG. Pure: the CLI's operator enrolment and the hosted pages both call
//! these (docs/operations.md, "Second factors"). The parameters are the ones every code
//! Gatehouse checks uses (auth/software_token.rs): SHA-1, 6 digits, 30-second steps, written
//! out even though they are the defaults, so no app has to guess.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use qrcode::render::{Canvas, Pixel};
use qrcode::{Color, EcLevel, QrCode};

/// Everything but RFC 3986's unreserved characters is escaped: a `:` in an issuer or a
/// username must not read as the label's separator, nor `&` or `=` as a parameter's end.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn escape(text: &str) -> String {
    utf8_percent_encode(text, ESCAPED).to_string()
}

/// The key URI of a TOTP secret (base32, no padding): label `issuer:account`, and the issuer
/// repeated as a parameter, as authenticator apps expect.
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let issuer = escape(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits=6&period=30",
        account = escape(account),
        secret = escape(secret_base32),
    )
}

/// Pixels per QR module: a 57-module code (version 10 and below) comes out under 500 pixels
/// square, readable from a screen or paper.
const MODULE_PIXELS: u32 = 8;

/// Why a QR code was not made.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    TooLong(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// The QR code of `text` as a grayscale PNG, with the four-module quiet zone scanners need.
/// Error correction level M, as authenticator apps' own examples use.
pub fn qr_png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M)
        .map_err(|e| QrError::TooLong(e.to_string()))?;
    let bitmap = code
        .render::<Gray>()
        .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
        .build();
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, bitmap.width, bitmap.height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&bitmap.pixels))
        .map_err(|e| QrError::Png(e.to_string()))?;
    Ok(png)
}

/// One 8-bit grayscale pixel, so that `qrcode`'s renderer (quiet zone, module scaling) draws
/// straight into the buffer `png` encodes.
#[derive(Clone, Copy)]
struct Gray(u8);

/// A rendered QR code: rows of 8-bit gray pixels, top to bottom.
struct Bitmap {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

struct GrayCanvas {
    bitmap: Bitmap,
    dark: u8,
}

impl Pixel for Gray {
    type Image = Bitmap;
    type Canvas = GrayCanvas;

    fn default_color(color: Color) -> Self {
        Gray(color.select(0, 255))
    }
}

impl Canvas for GrayCanvas {
    type Pixel = Gray;
    type Image = Bitmap;

    fn new(width: u32, height: u32, dark: Gray, light: Gray) -> Self {
        let size = (width as usize) * (height as usize);
        Self {
            bitmap: Bitmap {
                width,
                height,
                pixels: vec![light.0; size],
            },
            dark: dark.0,
        }
    }

    fn draw_dark_pixel(&mut self, x: u32, y: u32) {
        let index = (y as usize) * (self.bitmap.width as usize) + (x as usize);
        if let Some(pixel) = self.bitmap.pixels.get_mut(index) {
            *pixel = self.dark;
        }
    }

    fn into_image(self) -> Bitmap {
        self.bitmap
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

    use super::*;

    #[test]
    fn the_uri_names_issuer_account_and_every_parameter() {
        assert_eq!(
            otpauth_uri("acme", "alice", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=acme\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn separators_in_names_are_escaped() {
        let uri = otpauth_uri("Acme Corp", "a:b&c=d@example.com", "AAAA");
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Corp:a%3Ab%26c%3Dd%40example.com?secret=AAAA\
             &issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30"
        );
        // Exactly one unescaped colon after the scheme: the label's separator.
        let label = uri.trim_start_matches("otpauth://totp/");
        assert_eq!(label.matches(':').count(), 1);
    }

    #[test]
    fn the_qr_code_is_a_square_png_with_a_quiet_zone() {
        let uri = otpauth_uri("acme", "alice", &"A".repeat(52));
        let png = qr_png(&uri).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(frame.width, frame.height);
        assert_eq!(frame.color_type, png::ColorType::Grayscale);
        let modules = frame.width / MODULE_PIXELS;
        // Versions grow by 4 modules from 21; the quiet zone adds 4 on each side.
        assert_eq!((modules - 8 - 21) % 4, 0, "{modules} modules");
        // The quiet zone is light; the finder pattern's corner just inside it is dark.
        let at = |x: u32, y: u32| pixels[(y * frame.width + x) as usize];
        assert_eq!(at(0, 0), 255);
        assert_eq!(at(4 * MODULE_PIXELS, 4 * MODULE_PIXELS), 0);
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_an_error() {
        assert!(matches!(
            qr_png(&"x".repeat(8000)),
            Err(QrError::TooLong(_))
        ));
    }
}
