//! The trainer's augmentation in each script: PyTorch by hand on batches in [0, 1] (a warp
//! for rotation, zoom and shift, flips, blur, erasing, inversion, noise), Keras as its
//! preprocessing layers where it has them.

use std::fmt::Write;

use super::py;
use crate::data::augment::Augmentation;

/// `augment(x)` for the PyTorch script: the trainer's augmentation on batches in [0, 1].
pub fn torch(a: &Augmentation) -> String {
    let mut s = String::from(
        "def augment(x):\n    \"\"\"The trainer's augmentation of a batch of images in [0, 1], [N, 1, H, W] (PyTorch's\n    \
         random numbers, not the trainer's).\"\"\"\n    n = len(x)\n",
    );
    if a.rotation_deg != 0.0 || a.translate_px != 0.0 || a.scale != 0.0 {
        let _ = write!(
            s,
            "    # Rotation by ±{r}°, zoom by 1 ± {z}, shift by ±{t} px: one bilinear warp, zeros outside.\n    \
             angle = (torch.rand(n) * 2 - 1) * math.radians({r})\n    \
             zoom = 1 + (torch.rand(n) * 2 - 1) * {z}\n    \
             shift = (torch.rand(n, 2) * 2 - 1) * {t} * 2 / x.shape[-1]\n    \
             cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom\n    \
             theta = torch.stack([torch.stack([cos, sin, -shift[:, 0]], 1), torch.stack([-sin, cos, -shift[:, 1]], 1)], 1)\n    \
             grid = F.affine_grid(theta, list(x.shape), align_corners=False)\n    \
             x = F.grid_sample(x, grid, align_corners=False, padding_mode=\"zeros\")\n",
            r = py(a.rotation_deg),
            z = py(a.scale),
            t = py(a.translate_px)
        );
    }
    if a.hflip {
        s.push_str("    flip = torch.rand(n) < 0.5\n    x[flip] = x[flip].flip(-1)\n");
    }
    if a.vflip {
        s.push_str("    flip = torch.rand(n) < 0.5\n    x[flip] = x[flip].flip(-2)\n");
    }
    if a.blur_prob > 0.0 {
        let _ = write!(
            s,
            "    # 3×3 Gaussian blur (1-2-1 ⊗ 1-2-1 / 16) with probability {p}; the trainer clamps edges.\n    \
             kernel = torch.tensor([1.0, 2.0, 1.0])\n    kernel = (kernel[:, None] * kernel[None, :] / 16).view(1, 1, 3, 3)\n    \
             blur = torch.rand(n) < {p}\n    x[blur] = F.conv2d(F.pad(x[blur], (1, 1, 1, 1), mode=\"replicate\"), kernel)\n",
            p = py(a.blur_prob)
        );
    }
    if a.erase_prob > 0.0 {
        let _ = write!(
            s,
            "    # Random erasing with probability {p}: a rectangle of 5–25 % of the image set to 0.\n    \
             for i in torch.nonzero(torch.rand(n) < {p}).flatten().tolist():\n        \
             h, w = x.shape[-2:]\n        area = (0.05 + 0.2 * torch.rand(()).item()) * h * w\n        \
             aspect = math.exp(torch.rand(()).item() * 2 - 1)\n        \
             eh, ew = min(h, max(1, round(math.sqrt(area * aspect)))), min(w, max(1, round(math.sqrt(area / aspect))))\n        \
             top, left = torch.randint(0, h - eh + 1, ()).item(), torch.randint(0, w - ew + 1, ()).item()\n        \
             x[i, :, top : top + eh, left : left + ew] = 0\n",
            p = py(a.erase_prob)
        );
    }
    if a.invert_prob > 0.0 {
        let _ = write!(
            s,
            "    invert = torch.rand(n) < {}\n    x[invert] = 1 - x[invert]\n",
            py(a.invert_prob)
        );
    }
    if a.noise_std > 0.0 {
        let _ = writeln!(
            s,
            "    x = (x + {} * torch.randn_like(x)).clamp(0, 1)",
            py(a.noise_std)
        );
    }
    s.push_str("    return x\n\n\n");
    s
}

/// `AUGMENTATION` for the Keras script: preprocessing layers on normalised images.
pub fn keras(a: &Augmentation) -> String {
    let mut layers = Vec::new();
    let fill = "fill_mode=\"constant\", fill_value=BACKGROUND";
    if a.rotation_deg != 0.0 {
        layers.push(format!(
            "layers.RandomRotation({} / 360, {fill})",
            py(a.rotation_deg)
        ));
    }
    if a.scale != 0.0 {
        layers.push(format!("layers.RandomZoom({}, {fill})", py(a.scale)));
    }
    if a.translate_px != 0.0 {
        layers.push(format!(
            "layers.RandomTranslation({t} / 28, {t} / 28, {fill})",
            t = py(a.translate_px)
        ));
    }
    match (a.hflip, a.vflip) {
        (true, true) => layers.push("layers.RandomFlip(\"horizontal_and_vertical\")".into()),
        (true, false) => layers.push("layers.RandomFlip(\"horizontal\")".into()),
        (false, true) => layers.push("layers.RandomFlip(\"vertical\")".into()),
        _ => {}
    }
    if a.noise_std != 0.0 {
        layers.push(format!(
            "layers.GaussianNoise({} / PIXEL_STD)  # the trainer clamps to [0, 1] after it",
            py(a.noise_std)
        ));
    }
    let mut s = String::from(
        "# The trainer's augmentation as Keras preprocessing layers, on normalised images (so the\n\
         # background they fill in is a normalised 0); they only act while training.\n\
         BACKGROUND = float(normalise(np.zeros((1, 28, 28), np.float32)).flat[0])\n",
    );
    if a.blur_prob > 0.0 || a.erase_prob > 0.0 || a.invert_prob > 0.0 {
        s.push_str(
            "# Left out, Keras has no matching layer: the trainer's blur, random erasing and inversion.\n",
        );
    }
    let _ = write!(
        s,
        "AUGMENTATION = [\n    {},\n]\n\n\n",
        layers.join(",\n    ")
    );
    s
}
