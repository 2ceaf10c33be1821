//! WebP: a RIFF container of chunks. Simple files hold one `VP8 ` (lossy) or `VP8L` (lossless)
//! chunk and cannot carry metadata. Extended files start with `VP8X`, whose flags announce
//! ICCP, ALPH, ANIM/ANMF, EXIF and XMP chunks.
//!
//! Kept: image data, alpha, animation, ICCP. Dropped: XMP, unknown chunks, bytes after the
//! RIFF, and EXIF (replaced by a minimal EXIF with the orientation when it is not 1). The VP8X
//! flags and the RIFF size are rewritten to match.

use std::ops::Range;

use super::exif;
use super::{
    Header, ImagingError, Output, Walk, check_dimensions, check_limits, le16, le24, le32, malformed,
};

const FLAG_ICC: u8 = 0x20;
const FLAG_ALPHA: u8 = 0x10;
const FLAG_EXIF: u8 = 0x08;
const FLAG_XMP: u8 = 0x04;

struct Chunk {
    fourcc: [u8; 4],
    /// The chunk's payload.
    data: Range<usize>,
    /// Header, payload and padding byte.
    whole: Range<usize>,
}

/// The chunks of a RIFF/WEBP file (bytes after the RIFF's declared size are ignored).
fn chunks(src: &[u8]) -> Result<Vec<Chunk>, ImagingError> {
    if src.len() < 12 || &src[..4] != b"RIFF" || &src[8..12] != b"WEBP" {
        return Err(malformed("not a WebP"));
    }
    let riff_end = le32(src, 4)
        .and_then(|size| usize::try_from(size).ok())
        .and_then(|size| size.checked_add(8))
        .filter(|&end| end <= src.len())
        .ok_or_else(|| malformed("truncated WebP"))?;
    let mut chunks = Vec::new();
    let mut pos = 12;
    while pos < riff_end {
        let size = le32(src, pos + 4)
            .filter(|_| pos + 8 <= riff_end)
            .ok_or_else(|| malformed("truncated WebP chunk"))? as usize;
        let data_end = (pos + 8)
            .checked_add(size)
            .filter(|&end| end <= riff_end)
            .ok_or_else(|| malformed("truncated WebP chunk"))?;
        // Odd sizes are padded to even; tolerate a missing pad on the last chunk.
        let end = (data_end + (size & 1)).min(riff_end);
        chunks.push(Chunk {
            fourcc: src[pos..pos + 4].try_into().expect("4 bytes"),
            data: pos + 8..data_end,
            whole: pos..end,
        });
        pos = end;
    }
    if chunks.is_empty() {
        return Err(malformed("WebP without chunks"));
    }
    Ok(chunks)
}

/// Size of a `VP8 ` or `VP8L` bitstream, read from its header.
fn bitstream_size(fourcc: &[u8; 4], data: &[u8]) -> Option<(u32, u32)> {
    match fourcc {
        b"VP8 " => {
            if data.get(3..6)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((
                u32::from(le16(data, 6)? & 0x3FFF),
                u32::from(le16(data, 8)? & 0x3FFF),
            ))
        }
        b"VP8L" => {
            if *data.first()? != 0x2F {
                return None;
            }
            let bits = le32(data, 1)?;
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        _ => None,
    }
}

pub fn walk(src: &[u8]) -> Result<Walk<'_>, ImagingError> {
    let chunks = chunks(src)?;
    let first = &chunks[0];
    let extended = &first.fourcc == b"VP8X";
    let (mut flags, size) = if extended {
        let d = &src[first.data.clone()];
        let bad = || malformed("WebP VP8X header");
        let width = le24(d, 4).ok_or_else(bad)? + 1;
        let height = le24(d, 7).ok_or_else(bad)? + 1;
        (d[0], (width, height))
    } else {
        let size = bitstream_size(&first.fourcc, &src[first.data.clone()])
            .ok_or_else(|| malformed("WebP bitstream header"))?;
        (0, size)
    };
    check_dimensions(size.0, size.1)?;

    // Decide chunk by chunk; the RIFF header and VP8X come last, once the rest is known.
    let mut body = Output::new(src);
    let mut orientation = None;
    let mut has_icc = false;
    let mut exif_seen = false;
    let mut has_image = false;
    for chunk in &chunks[usize::from(extended)..] {
        let data = &src[chunk.data.clone()];
        match &chunk.fourcc {
            b"VP8 " | b"VP8L" => {
                let (w, h) = bitstream_size(&chunk.fourcc, data)
                    .ok_or_else(|| malformed("WebP bitstream header"))?;
                check_limits(w, h)?;
                has_image = true;
                body.keep(chunk.whole.clone());
            }
            b"ANMF" => {
                let bad = || malformed("WebP frame header");
                check_limits(
                    le24(data, 6).ok_or_else(bad)? + 1,
                    le24(data, 9).ok_or_else(bad)? + 1,
                )?;
                has_image = true;
                body.keep(chunk.whole.clone());
            }
            b"ICCP" if extended => {
                has_icc = true;
                body.keep(chunk.whole.clone());
            }
            b"ALPH" | b"ANIM" if extended => body.keep(chunk.whole.clone()),
            b"EXIF" if extended && !exif_seen => {
                exif_seen = true;
                orientation = exif::kept_orientation(data);
                if let Some(o) = orientation {
                    let new = chunk_bytes(b"EXIF", &exif::minimal_tiff(o));
                    if src[chunk.whole.clone()] == new[..] {
                        body.keep(chunk.whole.clone());
                    } else {
                        body.insert(new);
                    }
                }
            }
            _ => {} // XMP, a second EXIF, unknown chunks, and chunks a simple file cannot have
        }
    }
    if !has_image {
        return Err(malformed("WebP without image data"));
    }

    let mut out = Output::new(src);
    let new_riff_size = 4 + body.len() + if extended { first.whole.len() } else { 0 };
    if new_riff_size == le32(src, 4).unwrap_or(0) as usize {
        out.keep(0..12);
    } else {
        out.insert(riff_header(new_riff_size));
    }
    if extended {
        let old_flags = flags;
        flags &= !(FLAG_ICC | FLAG_EXIF | FLAG_XMP);
        if has_icc {
            flags |= FLAG_ICC;
        }
        if orientation.is_some() {
            flags |= FLAG_EXIF;
        }
        if flags == old_flags {
            out.keep(first.whole.clone());
        } else {
            let mut vp8x = src[first.whole.clone()].to_vec();
            vp8x[8] = flags;
            out.insert(vp8x);
        }
    }
    out.append(body);
    Ok(Walk {
        header: Header {
            width: size.0,
            height: size.1,
            orientation: orientation.unwrap_or(1),
            coefficient_bytes: 0,
        },
        out,
    })
}

fn riff_header(riff_size: usize) -> Vec<u8> {
    let mut h = b"RIFF".to_vec();
    h.extend_from_slice(&(riff_size as u32).to_le_bytes());
    h.extend_from_slice(b"WEBP");
    h
}

/// A chunk with its header and padding.
fn chunk_bytes(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(data.len() + 9);
    c.extend_from_slice(fourcc);
    c.extend_from_slice(&(data.len() as u32).to_le_bytes());
    c.extend_from_slice(data);
    if data.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// Adds an ICC profile to a WebP made by the encoder, turning a simple file into an extended
/// one (VP8X + ICCP + the original chunks) when needed.
pub fn with_icc(encoded: &[u8], icc: &[u8]) -> Result<Vec<u8>, ImagingError> {
    let chunks = chunks(encoded)?;
    let first = &chunks[0];
    let iccp = chunk_bytes(b"ICCP", icc);
    let mut body = Vec::with_capacity(encoded.len() + iccp.len() + 18);
    if &first.fourcc == b"VP8X" {
        let mut vp8x = encoded[first.whole.clone()].to_vec();
        vp8x[8] |= FLAG_ICC;
        body.extend_from_slice(&vp8x);
        body.extend_from_slice(&iccp);
        for chunk in &chunks[1..] {
            if &chunk.fourcc != b"ICCP" {
                body.extend_from_slice(&encoded[chunk.whole.clone()]);
            }
        }
    } else {
        let data = &encoded[first.data.clone()];
        let (w, h) = bitstream_size(&first.fourcc, data)
            .ok_or_else(|| malformed("WebP bitstream header"))?;
        // VP8L announces alpha in its header (bit 28 of the packed size field).
        let alpha = &first.fourcc == b"VP8L" && le32(data, 1).is_some_and(|b| b & (1 << 28) != 0);
        let mut vp8x = [0u8; 10];
        vp8x[0] = FLAG_ICC | if alpha { FLAG_ALPHA } else { 0 };
        vp8x[4..7].copy_from_slice(&w.saturating_sub(1).to_le_bytes()[..3]);
        vp8x[7..10].copy_from_slice(&h.saturating_sub(1).to_le_bytes()[..3]);
        body.extend_from_slice(&chunk_bytes(b"VP8X", &vp8x));
        body.extend_from_slice(&iccp);
        body.extend_from_slice(&encoded[first.whole.clone()]);
    }
    let mut file = riff_header(body.len() + 4);
    file.extend_from_slice(&body);
    Ok(file)
}
