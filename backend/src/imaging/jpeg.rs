//! JPEG: marker segments, each scan's entropy-coded data, then EOI. Walked by hand rather than
//! with `img-parts`, which keeps everything after the first scan verbatim, including what
//! phones append after EOI (MPF depth maps and gain maps with their own EXIF, motion-photo
//! videos) and any APPn/COM between progressive scans.
//!
//! Kept: every non-APP segment (tables, frame and scan headers), APP0 `JFIF` (its thumbnail
//! removed), APP2 `ICC_PROFILE`, APP14 `Adobe` (it tells how to read CMYK/YCCK colours), and
//! the first APP1 `Exif` reduced to its Orientation. Dropped: other APP1 (XMP), APP2 (MPF,
//! FlashPix), APP3–APP13 (APP13 is Photoshop/IPTC), APP15, COM, and anything after EOI.

use super::exif::{self, JPEG_EXIF_PREFIX};
use super::{Header, ImagingError, Output, Walk, be16, check_dimensions, malformed};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;

/// APP0 `JFIF` payload without thumbnail: identifier, version, units, densities, 0x0 thumbnail.
const JFIF_LEN: usize = 14;

pub fn walk(src: &[u8]) -> Result<Walk<'_>, ImagingError> {
    if !src.starts_with(&[0xFF, SOI]) {
        return Err(malformed("not a JPEG"));
    }
    let mut out = Output::new(src);
    out.keep(0..2);
    let mut pos = 2;
    let mut size = None;
    let mut orientation = None;
    let mut exif_seen = false;
    let mut scans = 0u32;
    let mut coefficient_bytes = 0;
    loop {
        let start = pos;
        // A marker is 0xFF, optional 0xFF fill bytes, then its code.
        if src.get(pos) != Some(&0xFF) {
            if pos >= src.len() && scans > 0 {
                // Truncated after image data (no EOI): browsers show what is there; so do we.
                break;
            }
            return Err(malformed("bytes where a JPEG marker should be"));
        }
        while src.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&code) = src.get(pos) else {
            if scans > 0 {
                break;
            }
            return Err(malformed("truncated JPEG"));
        };
        pos += 1;
        match code {
            // Anything after EOI (appended images, videos, padding) is dropped.
            EOI => {
                out.keep(start..pos);
                break;
            }
            SOI | 0x00 => return Err(malformed("unexpected JPEG marker")),
            // Standalone markers: TEM and restart markers.
            0x01 | 0xD0..=0xD7 => {
                out.keep(start..pos);
                continue;
            }
            _ => {}
        }
        let len = usize::from(be16(src, pos).ok_or_else(|| malformed("truncated JPEG"))?);
        let end = pos + len;
        if len < 2 || end > src.len() {
            return Err(malformed("JPEG segment length"));
        }
        let payload = &src[pos + 2..end];
        match code {
            APP0 if payload.starts_with(b"JFIF\0") && payload.len() >= JFIF_LEN => {
                if payload.len() == JFIF_LEN {
                    out.keep(start..end);
                } else {
                    // Drop the embedded thumbnail: it may show the picture before a crop.
                    let mut segment = vec![0xFF, APP0, 0, (JFIF_LEN + 2) as u8];
                    segment.extend_from_slice(&payload[..JFIF_LEN - 2]);
                    segment.extend_from_slice(&[0, 0]);
                    out.insert(segment);
                }
            }
            APP1 if payload.starts_with(JPEG_EXIF_PREFIX) && !exif_seen && scans == 0 => {
                exif_seen = true;
                orientation = exif::kept_orientation(payload);
                if let Some(o) = orientation {
                    let segment = exif_segment(o);
                    if src[start..end] == segment[..] {
                        out.keep(start..end); // already minimal: stripping is idempotent
                    } else {
                        out.insert(segment);
                    }
                }
            }
            APP2 if payload.starts_with(b"ICC_PROFILE\0") => out.keep(start..end),
            APP14 if payload.starts_with(b"Adobe") => out.keep(start..end),
            APP0..=APP15 | COM => {} // metadata: dropped
            SOS => {
                let data_end = entropy_end(src, end);
                out.keep(start..data_end);
                scans += 1;
                pos = data_end;
                continue;
            }
            // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                if size.is_none() {
                    let height = be16(payload, 1).ok_or_else(|| malformed("JPEG frame header"))?;
                    let width = be16(payload, 3).ok_or_else(|| malformed("JPEG frame header"))?;
                    let (width, height) = (u32::from(width), u32::from(height));
                    check_dimensions(width, height)?; // refuse a bomb before reading further
                    size = Some((width, height));
                    if matches!(code, 0xC2 | 0xC6 | 0xCA | 0xCE) {
                        coefficient_bytes = coefficients_held(payload, width, height)
                            .ok_or_else(|| malformed("JPEG frame header"))?;
                    }
                }
                out.keep(start..end);
            }
            _ => out.keep(start..end),
        }
        pos = end;
    }
    if scans == 0 {
        return Err(malformed("JPEG without image data"));
    }
    let (width, height) = size.ok_or_else(|| malformed("JPEG without frame header"))?;
    Ok(Walk {
        header: Header {
            width,
            height,
            orientation: orientation.unwrap_or(1),
            coefficient_bytes,
        },
        out,
    })
}

/// The bytes of DCT coefficients a decoder keeps for a progressive frame (SOF2/6/10/14
/// `payload`): 64 coefficients of 2 bytes per 8×8 block of each component, its blocks padded
/// to whole MCUs, as jpeg-decoder allocates them. `None` when the frame header is cut short.
fn coefficients_held(payload: &[u8], width: u32, height: u32) -> Option<u64> {
    let count = usize::from(*payload.get(5)?);
    let sampling: Vec<(u64, u64)> = (0..count)
        .map(|i| {
            let factors = *payload.get(7 + 3 * i)?;
            Some((u64::from(factors >> 4), u64::from(factors & 0x0F)))
        })
        .collect::<Option<_>>()?;
    let h_max = sampling.iter().map(|&(h, _)| h).max()?.max(1);
    let v_max = sampling.iter().map(|&(_, v)| v).max()?.max(1);
    let mcus_across = u64::from(width).div_ceil(8 * h_max);
    let mcus_down = u64::from(height).div_ceil(8 * v_max);
    let blocks: u64 = sampling
        .iter()
        .map(|&(h, v)| mcus_across * h * mcus_down * v)
        .sum();
    Some(blocks * 64 * 2)
}

/// Where the entropy-coded data starting at `from` ends: at the first marker that is not a
/// stuffed 0xFF00 or a restart marker (or at the end of a truncated file).
fn entropy_end(src: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(offset) = memchr::memchr(0xFF, &src[i..]) {
        let at = i + offset;
        match src.get(at + 1) {
            None => return src.len(),
            Some(0x00 | 0xD0..=0xD7) => i = at + 2,
            Some(0xFF) => i = at + 1,
            Some(_) => return at,
        }
    }
    src.len()
}

/// APP1 with an EXIF block holding only the orientation.
pub fn exif_segment(orientation: u8) -> Vec<u8> {
    let tiff = exif::minimal_tiff(orientation);
    let len = 2 + JPEG_EXIF_PREFIX.len() + tiff.len();
    let mut segment = vec![0xFF, APP1];
    segment.extend_from_slice(&(len as u16).to_be_bytes());
    segment.extend_from_slice(JPEG_EXIF_PREFIX);
    segment.extend_from_slice(&tiff);
    segment
}
