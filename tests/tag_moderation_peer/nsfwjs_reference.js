// SPDX-License-Identifier: MIT
// The reference for the moderation peer test: nsfwjs 4.4.0 (its bundled
// MobileNetV2 model and its own preprocessing in NSFWJS.infer) run by
// TensorFlow.js (CPU backend) in Node.
//
// usage: node nsfwjs_reference.js IN1.rgb W1 H1 [IN2.rgb W2 H2 ...]
//   each IN is W*H*3 bytes of 8-bit RGB; prints one JSON object:
//   {"tfjs": version, "results": [{"probabilities": [5], "embedding": [1280]}]}
//   probabilities in nsfwjs's class order (Drawing, Hentai, Neutral, Porn,
//   Sexy); embedding = the raw output of the layer flatten_1.
'use strict';
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');

async function main() {
  const args = process.argv.slice(2);
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await nsfwjs.load('MobileNetV2');
  const results = [];
  for (let i = 0; i + 2 < args.length; i += 3) {
    const W = parseInt(args[i + 1], 10), H = parseInt(args[i + 2], 10);
    const bytes = fs.readFileSync(args[i]);
    // What tf.browser.fromPixels returns for these pixels: int32 RGB.
    const img = tf.tensor3d(Int32Array.from(bytes), [H, W, 3], 'int32');
    const probs = model.infer(img);
    const feats = model.infer(img, 'flatten_1');
    results.push({ probabilities: Array.from(await probs.data()), embedding: Array.from(await feats.data()) });
    probs.dispose();
    feats.dispose();
    img.dispose();
  }
  process.stdout.write(JSON.stringify({ tfjs: tf.version.tfjs, backend: tf.getBackend(), results }) + '\n');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
