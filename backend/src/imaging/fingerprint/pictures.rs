//! Pictures of different kinds, drawn from a seed: a stand-in for a set of real photos and
//! drawings that a test can carry without binary fixtures.

use image::{Rgb, RgbImage};

/// A small deterministic generator (xorshift64*), so that every run draws the same pictures.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }
    pub fn colour(&mut self) -> [f32; 3] {
        [
            self.range(0.0, 255.0),
            self.range(0.0, 255.0),
            self.range(0.0, 255.0),
        ]
    }
}

/// The kinds of picture drawn.
pub const KINDS: usize = 10;

/// Picture `seed` of kind `kind % KINDS`, `width` × `height`.
pub fn picture(kind: usize, seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = Rng::new(seed * 31 + kind as u64 + 1);
    match kind % KINDS {
        0 => photo(&mut rng, width, height),
        1 => flat_shapes(&mut rng, width, height),
        2 => text_page(&mut rng, width, height),
        3 => stripes(&mut rng, width, height),
        4 => tiles(&mut rng, width, height),
        5 => landscape(&mut rng, width, height),
        6 => portrait(&mut rng, width, height),
        7 => clouds(&mut rng, width, height),
        8 => night(&mut rng, width, height),
        _ => screenshot(&mut rng, width, height),
    }
}

fn pixel(c: [f32; 3]) -> Rgb<u8> {
    Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8))
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [0, 1, 2].map(|i| a[i] + (b[i] - a[i]) * t)
}

/// Soft blobs of colour over a two-colour gradient, with sensor-like noise.
fn photo(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (top, bottom) = (rng.colour(), rng.colour());
    let blobs: Vec<_> = (0..6)
        .map(|_| {
            (
                rng.range(0.0, 1.0),
                rng.range(0.0, 1.0),
                rng.range(0.05, 0.3),
                rng.colour(),
            )
        })
        .collect();
    let mut noise = Rng::new(rng.next());
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let mut c = mix(top, bottom, v);
        for &(bx, by, r, colour) in &blobs {
            let d2 = ((u - bx).powi(2) + (v - by).powi(2)) / (r * r);
            c = mix(c, colour, (-d2).exp() * 0.9);
        }
        let n = noise.range(-12.0, 12.0);
        pixel(c.map(|v| v + n))
    })
}

/// Flat rectangles and discs, as in a drawing or a logo.
fn flat_shapes(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let background = rng.colour();
    let shapes: Vec<_> = (0..8)
        .map(|_| {
            let disc = rng.unit() < 0.5;
            (
                disc,
                rng.range(0.0, 1.0),
                rng.range(0.0, 1.0),
                rng.range(0.05, 0.35),
                rng.range(0.05, 0.35),
                rng.colour(),
            )
        })
        .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let mut c = background;
        for &(disc, cx, cy, a, b, colour) in &shapes {
            let inside = if disc {
                (u - cx).powi(2) / (a * a) + (v - cy).powi(2) / (b * b) < 1.0
            } else {
                (u - cx).abs() < a / 2.0 && (v - cy).abs() < b / 2.0
            };
            if inside {
                c = colour;
            }
        }
        pixel(c)
    })
}

/// Lines of dark "words" on a light page, with a heading and a picture block.
fn text_page(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let ink = [rng.range(0.0, 60.0); 3];
    let paper = [rng.range(220.0, 255.0); 3];
    let line_height = rng.range(0.03, 0.06);
    let words: Vec<Vec<(f32, f32)>> = (0..(1.0 / line_height) as usize)
        .map(|_| {
            let mut at = rng.range(0.05, 0.1);
            let mut line = Vec::new();
            let end = rng.range(0.5, 0.95);
            while at < end {
                let len = rng.range(0.02, 0.1);
                line.push((at, at + len));
                at += len + 0.015;
            }
            line
        })
        .collect();
    let (bx, by, bw, bh, block) = (
        rng.range(0.1, 0.6),
        rng.range(0.1, 0.6),
        rng.range(0.2, 0.35),
        rng.range(0.15, 0.3),
        rng.colour(),
    );
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        if u > bx && u < bx + bw && v > by && v < by + bh {
            return pixel(block);
        }
        let line = (v / line_height) as usize;
        let within = (v / line_height).fract();
        let on_word = within > 0.25
            && within < 0.75
            && words
                .get(line)
                .is_some_and(|l| l.iter().any(|&(a, b)| u > a && u < b));
        pixel(if on_word { ink } else { paper })
    })
}

/// Sine stripes at an angle, two colours.
fn stripes(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (a, b) = (rng.colour(), rng.colour());
    let angle = rng.range(0.0, std::f32::consts::PI);
    let frequency = rng.range(2.0, 12.0);
    let (s, c) = angle.sin_cos();
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let t = ((u * c + v * s) * frequency * std::f32::consts::TAU).sin() * 0.5 + 0.5;
        pixel(mix(a, b, t))
    })
}

/// A grid of tiles in random colours, as in a mosaic or a chart.
fn tiles(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (columns, rows) = (rng.range(3.0, 9.0) as usize, rng.range(3.0, 9.0) as usize);
    let colours: Vec<_> = (0..columns * rows).map(|_| rng.colour()).collect();
    RgbImage::from_fn(w, h, |x, y| {
        let column = (x as usize * columns / w as usize).min(columns - 1);
        let row = (y as usize * rows / h as usize).min(rows - 1);
        pixel(colours[row * columns + column])
    })
}

/// Sky, sun, hills and ground.
fn landscape(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (sky_top, sky_low) = (
        [
            rng.range(20.0, 120.0),
            rng.range(60.0, 160.0),
            rng.range(150.0, 255.0),
        ],
        [rng.range(180.0, 255.0); 3],
    );
    let ground = [
        rng.range(20.0, 120.0),
        rng.range(80.0, 180.0),
        rng.range(10.0, 80.0),
    ];
    let horizon = rng.range(0.35, 0.7);
    let (sun_x, sun_y, sun_r) = (
        rng.range(0.1, 0.9),
        rng.range(0.05, horizon - 0.1),
        rng.range(0.03, 0.1),
    );
    let waves: Vec<_> = (0..3)
        .map(|_| {
            (
                rng.range(1.0, 6.0),
                rng.range(0.0, 6.0),
                rng.range(0.02, 0.08),
            )
        })
        .collect();
    let mut noise = Rng::new(rng.next());
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let hill = horizon
            - waves
                .iter()
                .map(|&(f, p, a)| (u * f * std::f32::consts::TAU + p).sin() * a)
                .sum::<f32>();
        let c = if v > hill {
            ground.map(|g| g * (0.6 + 0.4 * (v - hill) / (1.0 - hill)) + noise.range(-15.0, 15.0))
        } else if (u - sun_x).powi(2) + (v - sun_y).powi(2) < sun_r * sun_r {
            [255.0, 240.0, 180.0]
        } else {
            mix(sky_top, sky_low, v / hill)
        };
        pixel(c)
    })
}

/// A face-like oval with eyes and a mouth on a plain background.
fn portrait(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let background = rng.colour();
    let skin = [
        rng.range(120.0, 240.0),
        rng.range(80.0, 200.0),
        rng.range(60.0, 170.0),
    ];
    let hair = [rng.range(0.0, 120.0); 3];
    let (cx, cy) = (rng.range(0.35, 0.65), rng.range(0.4, 0.6));
    let (rx, ry) = (rng.range(0.15, 0.25), rng.range(0.22, 0.32));
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let face = ((u - cx) / rx).powi(2) + ((v - cy) / ry).powi(2);
        let eye = |ex: f32| {
            ((u - ex) / (rx * 0.18)).powi(2) + ((v - (cy - ry * 0.2)) / (ry * 0.08)).powi(2) < 1.0
        };
        let c = if face < 1.0 {
            if eye(cx - rx * 0.4) || eye(cx + rx * 0.4) {
                [30.0, 30.0, 30.0]
            } else if (v - (cy + ry * 0.45)).abs() < ry * 0.05 && (u - cx).abs() < rx * 0.4 {
                [150.0, 40.0, 50.0]
            } else if v < cy - ry * 0.6 {
                hair
            } else {
                skin
            }
        } else if face < 1.4 && v < cy {
            hair
        } else {
            mix(
                background,
                [
                    background[0] * 0.5,
                    background[1] * 0.5,
                    background[2] * 0.5,
                ],
                v,
            )
        };
        pixel(c)
    })
}

/// Smooth value noise at a few octaves: clouds, marble, smoke.
fn clouds(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (a, b) = (rng.colour(), rng.colour());
    let grid: Vec<f32> = (0..17 * 17).map(|_| rng.unit()).collect();
    let sample = |u: f32, v: f32, cells: f32| {
        let (gx, gy) = (u * cells, v * cells);
        let (ix, iy) = (gx as usize, gy as usize);
        let (fx, fy) = (gx.fract(), gy.fract());
        let at = |x: usize, y: usize| grid[(y % 17) * 17 + (x % 17)];
        let top = at(ix, iy) + (at(ix + 1, iy) - at(ix, iy)) * fx;
        let low = at(ix, iy + 1) + (at(ix + 1, iy + 1) - at(ix, iy + 1)) * fx;
        top + (low - top) * fy
    };
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let t = sample(u, v, 4.0) * 0.6 + sample(u, v, 8.0) * 0.3 + sample(u, v, 16.0) * 0.1;
        pixel(mix(a, b, t))
    })
}

/// A dark, low-contrast scene with a few lights.
fn night(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let lights: Vec<_> = (0..12)
        .map(|_| {
            (
                rng.range(0.0, 1.0),
                rng.range(0.3, 1.0),
                rng.range(0.005, 0.03),
            )
        })
        .collect();
    let base = rng.range(5.0, 30.0);
    let mut noise = Rng::new(rng.next());
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let glow: f32 = lights
            .iter()
            .map(|&(lx, ly, r)| 200.0 * (-((u - lx).powi(2) + (v - ly).powi(2)) / (r * r)).exp())
            .sum();
        let l = base + v * 20.0 + glow + noise.range(-6.0, 6.0);
        pixel([l, l * 0.9, l * 0.7])
    })
}

/// Panels, bars and buttons, as in a screenshot of an app.
fn screenshot(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let bar = rng.colour();
    let bar_height = rng.range(0.06, 0.12);
    let sidebar = rng.range(0.0, 0.3);
    let panels: Vec<_> = (0..5)
        .map(|_| {
            (
                rng.range(sidebar, 0.9),
                rng.range(0.15, 0.9),
                rng.range(0.1, 0.3),
                rng.range(0.05, 0.2),
                rng.colour(),
            )
        })
        .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let c = if v < bar_height {
            bar
        } else if u < sidebar {
            [235.0, 235.0, 240.0]
        } else if let Some(&(.., c)) = panels
            .iter()
            .find(|&&(px, py, pw, ph, _)| u > px && u < px + pw && v > py && v < py + ph)
        {
            c
        } else {
            [250.0; 3]
        };
        pixel(c)
    })
}
