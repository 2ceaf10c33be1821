//! GIF: header, logical screen (+ global palette), then blocks: extensions (0x21), images
//! (0x2C) and the trailer (0x3B). Written by hand: it is a small format, and no maintained
//! crate edits it without re-encoding.
//!
//! Kept: images, graphic control extensions (frame timing, transparency), plain-text
//! extensions (content, if rarely rendered) and the application extensions that affect display
//! (NETSCAPE2.0 / ANIMEXTS1.0 looping, ICCRGBG1 ICC profile). Dropped: comments, every other
//! application extension (XMP, Photoshop/IPTC), unknown extensions, bytes after the trailer.

use super::{Header, ImagingError, Output, Walk, check_dimensions, check_limits, le16, malformed};

const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;
const GRAPHIC_CONTROL: u8 = 0xF9;
const PLAIN_TEXT: u8 = 0x01;
const APPLICATION: u8 = 0xFF;

/// Application identifiers + authentication codes kept (they change how the GIF is shown).
const KEPT_APPLICATIONS: &[&[u8; 11]] = &[b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];

pub fn walk(src: &[u8]) -> Result<Walk<'_>, ImagingError> {
    if !(src.starts_with(b"GIF87a") || src.starts_with(b"GIF89a")) {
        return Err(malformed("not a GIF"));
    }
    let truncated = || malformed("truncated GIF");
    let width = u32::from(le16(src, 6).ok_or_else(truncated)?);
    let height = u32::from(le16(src, 8).ok_or_else(truncated)?);
    let flags = *src.get(10).ok_or_else(truncated)?;
    let mut pos = 13 + palette_len(flags);
    if pos > src.len() {
        return Err(truncated());
    }
    check_dimensions(width, height)?;
    let mut out = Output::new(src);
    out.keep(0..pos);
    let mut frames = 0u32;
    loop {
        let Some(&block) = src.get(pos) else {
            if frames == 0 {
                return Err(truncated());
            }
            // Cut off cleanly between blocks: add the missing trailer.
            out.insert(vec![TRAILER]);
            break;
        };
        match block {
            TRAILER => {
                out.keep(pos..pos + 1); // anything after the trailer is dropped
                break;
            }
            EXTENSION => {
                let label = *src.get(pos + 1).ok_or_else(truncated)?;
                let end = sub_blocks_end(src, pos + 2)?;
                let keep = match label {
                    GRAPHIC_CONTROL | PLAIN_TEXT => true,
                    APPLICATION => {
                        src.get(pos + 2) == Some(&11)
                            && src.get(pos + 3..pos + 14).is_some_and(|id| {
                                KEPT_APPLICATIONS.iter().any(|k| k.as_slice() == id)
                            })
                    }
                    _ => false, // comments (0xFE) and unknown extensions
                };
                if keep {
                    out.keep(pos..end);
                }
                pos = end;
            }
            IMAGE => {
                let frame_width = u32::from(le16(src, pos + 5).ok_or_else(truncated)?);
                let frame_height = u32::from(le16(src, pos + 7).ok_or_else(truncated)?);
                // A frame may claim up to 65535x65535 whatever the logical screen says.
                check_limits(frame_width, frame_height)?;
                let flags = *src.get(pos + 9).ok_or_else(truncated)?;
                // Local palette, then the LZW minimum code size, then the data sub-blocks.
                let data = pos + 10 + palette_len(flags) + 1;
                let end = sub_blocks_end(src, data)?;
                out.keep(pos..end);
                frames += 1;
                pos = end;
            }
            _ => return Err(malformed("unknown GIF block")),
        }
    }
    if frames == 0 {
        return Err(malformed("GIF without image"));
    }
    Ok(Walk {
        header: Header {
            width,
            height,
            orientation: 1,
            coefficient_bytes: 0,
        },
        out,
    })
}

/// Bytes of the colour table announced by a logical-screen or image-descriptor flag byte.
fn palette_len(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 0x07) + 1)
    } else {
        0
    }
}

/// End of a chain of data sub-blocks (each: length byte, data) closed by a zero length.
fn sub_blocks_end(src: &[u8], mut at: usize) -> Result<usize, ImagingError> {
    loop {
        let len = *src.get(at).ok_or_else(|| malformed("truncated GIF data"))?;
        at += 1;
        if len == 0 {
            return Ok(at);
        }
        at += usize::from(len);
    }
}
