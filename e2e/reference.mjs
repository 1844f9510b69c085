// An independent forward pass in plain JavaScript, for end-to-end tests that check what the
// page shows against the weights of a moment: reads a model file (safetensors with the
// trainer's JSON metadata) and MNIST's test images, and computes every layer's output
// (NHWC, f64 arithmetic) for one image. Only what inference needs: Dense, Conv2D (valid or
// same padding, stride, dilation), max/avg pooling, flatten, ReLU, leaky ReLU, sigmoid, tanh,
// softmax, batch norm (running statistics); dropout and noise are the identity.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Parses a model file: `{ config, normalizer, tensors: { name: { shape, data } } }`. */
export function readModelFile(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const meta = header.__metadata__ ?? {};
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [from, to] = t.data_offsets;
    const raw = bytes.slice(8 + headerLength + from, 8 + headerLength + to);
    tensors[name] = { shape: t.shape, data: new Float32Array(raw.buffer, raw.byteOffset, (to - from) / 4) };
  }
  return { config: JSON.parse(meta.config), normalizer: JSON.parse(meta.normalizer), tensors };
}

/** MNIST-format test images from `www/data/<set>/`: `{ count, rows, cols, pixels(i), label(i) }`. */
export function readTestSet(set = 'mnist') {
  const dir = new URL(`../www/data/${set}/`, import.meta.url).pathname;
  const images = gunzipSync(readFileSync(`${dir}t10k-images-idx3-ubyte.gz`));
  const labels = gunzipSync(readFileSync(`${dir}t10k-labels-idx1-ubyte.gz`));
  const count = images.readUInt32BE(4);
  const rows = images.readUInt32BE(8);
  const cols = images.readUInt32BE(12);
  const size = rows * cols;
  return {
    count,
    rows,
    cols,
    pixels: (i) => images.subarray(16 + i * size, 16 + (i + 1) * size),
    label: (i) => labels[8 + i],
  };
}

function normalize(pixels, n) {
  const x = Float64Array.from(pixels, (p) => p / 255);
  switch (n.kind) {
    case 'Scale01':
      return x;
    case 'SubtractMeanPixel':
      return x.map((v) => v - n.mean);
    case 'SubtractMeanImage':
      return x.map((v, i) => v - n.mean_image[i]);
    default:
      return x.map((v) => (v - n.mean) / n.std);
  }
}

/** A tensor as `{ h, w, c, data }` (NHWC without the batch axis); dense outputs have h = w = 1. */
function conv(x, layer, weight, bias) {
  const [kh, kw, cin, cout] = weight.shape;
  const [sh, sw] = layer.stride ?? [1, 1];
  const [dh, dw] = layer.dilation ?? [1, 1];
  const spanH = (kh - 1) * dh + 1;
  const spanW = (kw - 1) * dw + 1;
  let oh, ow, top, left;
  if ((layer.padding ?? 'valid') === 'same') {
    oh = Math.ceil(x.h / sh);
    ow = Math.ceil(x.w / sw);
    top = Math.floor(Math.max(0, (oh - 1) * sh + spanH - x.h) / 2);
    left = Math.floor(Math.max(0, (ow - 1) * sw + spanW - x.w) / 2);
  } else {
    oh = Math.floor((x.h - spanH) / sh) + 1;
    ow = Math.floor((x.w - spanW) / sw) + 1;
    top = 0;
    left = 0;
  }
  const out = new Float64Array(oh * ow * cout);
  for (let i = 0; i < oh; i += 1)
    for (let j = 0; j < ow; j += 1)
      for (let o = 0; o < cout; o += 1) {
        let s = bias.data[o];
        for (let a = 0; a < kh; a += 1) {
          const y = i * sh + a * dh - top;
          if (y < 0 || y >= x.h) continue;
          for (let b = 0; b < kw; b += 1) {
            const z = j * sw + b * dw - left;
            if (z < 0 || z >= x.w) continue;
            for (let c = 0; c < cin; c += 1) s += x.data[(y * x.w + z) * x.c + c] * weight.data[((a * kw + b) * cin + c) * cout + o];
          }
        }
        out[(i * ow + j) * cout + o] = s;
      }
  return { h: oh, w: ow, c: cout, data: out };
}

function pool(x, layer, max) {
  const [wh, ww] = layer.window;
  const [sh, sw] = layer.stride;
  const oh = Math.floor((x.h - wh) / sh) + 1;
  const ow = Math.floor((x.w - ww) / sw) + 1;
  const out = new Float64Array(oh * ow * x.c);
  for (let i = 0; i < oh; i += 1)
    for (let j = 0; j < ow; j += 1)
      for (let c = 0; c < x.c; c += 1) {
        let s = max ? -Infinity : 0;
        for (let a = 0; a < wh; a += 1)
          for (let b = 0; b < ww; b += 1) {
            const v = x.data[((i * sh + a) * x.w + j * sw + b) * x.c + c];
            s = max ? Math.max(s, v) : s + v;
          }
        out[(i * ow + j) * x.c + c] = max ? s : s / (wh * ww);
      }
  return { h: oh, w: ow, c: x.c, data: out };
}

const map = (x, f) => ({ ...x, data: x.data.map(f) });

/**
 * Every layer's output for one image (raw pixels 0–255) under `model` (from
 * `readModelFile`): an array of `{ type, h, w, c, data }`, one per layer, in order.
 */
export function forward(model, pixels) {
  const spec = model.config.model;
  const [h, w, c] = spec.input;
  let x = { h, w, c, data: normalize(pixels, model.normalizer) };
  const outputs = [];
  spec.layers.forEach((layer, k) => {
    const t = (name) => model.tensors[`layers.${k}.${name}`];
    switch (layer.type) {
      case 'conv2d':
        x = conv(x, layer, t('weight'), t('bias'));
        break;
      case 'dense': {
        const weight = t('weight');
        const [n, units] = weight.shape;
        const out = new Float64Array(units);
        for (let o = 0; o < units; o += 1) {
          let s = t('bias').data[o];
          for (let i = 0; i < n; i += 1) s += x.data[i] * weight.data[i * units + o];
          out[o] = s;
        }
        x = { h: 1, w: 1, c: units, data: out };
        break;
      }
      case 'max_pool2d':
      case 'avg_pool2d':
        x = pool(x, layer, layer.type === 'max_pool2d');
        break;
      case 'flatten':
        x = { h: 1, w: 1, c: x.data.length, data: x.data };
        break;
      case 'relu':
        x = map(x, (v) => Math.max(0, v));
        break;
      case 'leaky_relu':
        x = map(x, (v) => (v > 0 ? v : layer.alpha * v));
        break;
      case 'sigmoid':
        x = map(x, (v) => 1 / (1 + Math.exp(-v)));
        break;
      case 'tanh':
        x = map(x, Math.tanh);
        break;
      case 'softmax': {
        const top = Math.max(...x.data);
        const e = x.data.map((v) => Math.exp(v - top));
        const sum = e.reduce((a, b) => a + b, 0);
        x = { ...x, data: e.map((v) => v / sum) };
        break;
      }
      case 'batch_norm': {
        const [g, b, m, v] = ['gamma', 'beta', 'running_mean', 'running_var'].map((n) => t(n).data);
        const eps = layer.epsilon ?? 1e-3;
        x = map(x, (val, i) => {
          const ch = i % x.c;
          return g[ch] * (val - m[ch]) / Math.sqrt(v[ch] + eps) + b[ch];
        });
        break;
      }
      default: // dropout, gaussian_noise: the identity at inference
        break;
    }
    outputs.push({ type: layer.type, ...x });
  });
  return outputs;
}

/** The predicted class: the index of the largest output of the last layer. */
export function predictedClass(outputs) {
  const last = outputs.at(-1).data;
  return last.indexOf(Math.max(...last));
}
