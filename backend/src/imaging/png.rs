//! PNG: signature, then chunks (length, type, data, CRC) up to IEND.
//!
//! An allow-list rather than a deny-list: critical chunks (IHDR, PLTE, IDAT, IEND) and the
//! ancillary chunks that change how the image looks (transparency, colour space, ICC profile,
//! HDR metadata, physical size, APNG animation) are kept byte for byte; everything else goes,
//! notably tEXt/zTXt/iTXt (comments, XMP, IPTC "Raw profile" blobs), eXIf, tIME and private
//! chunks such as C2PA's caBX. A non-trivial EXIF orientation stays as a minimal eXIf chunk.

use super::exif;
use super::{Header, ImagingError, Output, Walk, be32, check_dimensions, malformed};

pub const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary chunks that affect display. (`mDCv`/`cLLi` are the pre-2025 spellings.)
const KEPT_ANCILLARY: &[&[u8; 4]] = &[
    b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI", b"mDCv",
    b"cLLi", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
];

pub fn walk(src: &[u8]) -> Result<Walk<'_>, ImagingError> {
    if !src.starts_with(SIGNATURE) {
        return Err(malformed("not a PNG"));
    }
    let mut out = Output::new(src);
    out.keep(0..SIGNATURE.len());
    let mut pos = SIGNATURE.len();
    let mut size = None;
    let mut orientation = None;
    let mut exif_seen = false;
    loop {
        let len = be32(src, pos).ok_or_else(|| malformed("PNG without IEND"))? as usize;
        let kind: [u8; 4] = src
            .get(pos + 4..pos + 8)
            .and_then(|t| t.try_into().ok())
            .ok_or_else(|| malformed("truncated PNG chunk"))?;
        let data_start = pos + 8;
        let end = data_start
            .checked_add(len)
            .and_then(|e| e.checked_add(4))
            .filter(|&e| e <= src.len())
            .ok_or_else(|| malformed("truncated PNG chunk"))?;
        let data = &src[data_start..end - 4];
        if size.is_none() && &kind != b"IHDR" {
            return Err(malformed("PNG does not start with IHDR"));
        }
        match &kind {
            b"IHDR" if size.is_none() => {
                if len != 13 {
                    return Err(malformed("PNG IHDR length"));
                }
                let width = be32(data, 0).unwrap_or(0);
                let height = be32(data, 4).unwrap_or(0);
                check_dimensions(width, height)?; // refuse a bomb before reading further
                size = Some((width, height));
                out.keep(pos..end);
            }
            b"IEND" => {
                out.keep(pos..end); // anything after IEND is dropped
                break;
            }
            b"eXIf" if !exif_seen => {
                exif_seen = true;
                orientation = exif::kept_orientation(data);
                if let Some(o) = orientation {
                    let chunk = chunk(b"eXIf", &exif::minimal_tiff(o));
                    if src[pos..end] == chunk[..] {
                        out.keep(pos..end);
                    } else {
                        out.insert(chunk);
                    }
                }
            }
            // Critical chunks (upper-case first letter) are needed to decode; a second IHDR
            // is left for the decoder to refuse.
            _ if kind[0] & 0x20 == 0 => out.keep(pos..end),
            _ if KEPT_ANCILLARY.contains(&&kind) => out.keep(pos..end),
            _ => {} // metadata or unknown ancillary: dropped
        }
        pos = end;
    }
    let (width, height) = size.ok_or_else(|| malformed("PNG without IHDR"))?;
    Ok(Walk {
        header: Header {
            width,
            height,
            orientation: orientation.unwrap_or(1),
            coefficient_bytes: 0,
        },
        out,
    })
}

/// A complete chunk: length, type, data, CRC-32 of type and data.
pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(data.len() + 12);
    c.extend_from_slice(&(data.len() as u32).to_be_bytes());
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&c[4..]);
    c.extend_from_slice(&crc.finalize().to_be_bytes());
    c
}
