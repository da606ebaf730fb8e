// SPDX-License-Identifier: MIT
// The reference runtime for the upscaling peer test and benchmark: the
// UpscalerJS ESRGAN model packages (their own model definitions and custom
// layers) run by TensorFlow.js with the WebAssembly backend, in Node.
//
// usage: node upscalerjs_reference.js MODEL SCALE IN.rgb W H OUT.rgb [REPS]
//   MODEL: esrgan-slim | esrgan-medium | esrgan-thick (npm @upscalerjs/<MODEL>)
//   IN.rgb: W*H*3 bytes (8-bit RGB); OUT.rgb: the upscaled 8-bit RGB
//   REPS: timed repetitions after one warm-up (prints JSON timings; the
//         warm-up itself is reported as first_run, wall and CPU milliseconds)
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

async function main() {
  const [model, scale, inPath, w, h, outPath, reps] = process.argv.slice(2);
  const W = parseInt(w, 10), H = parseInt(h, 10), R = parseInt(reps || '0', 10);
  await tf.setBackend('wasm');
  await tf.ready();
  const pkg = '@upscalerjs/' + model;
  const def = require(pkg + '/' + scale + 'x');
  const definition = def.default || def;
  if (definition.setup) definition.setup(tf);  // registers MultiplyBeta / PixelShuffle
  let root = path.dirname(require.resolve(pkg + '/' + scale + 'x'));
  while (!fs.existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
  const jsonPath = path.join(root, definition._internals.path);
  const mj = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const specs = [], buffers = [];
  for (const g of mj.weightsManifest) {
    for (const s of g.weights) specs.push(s);
    for (const p of g.paths) buffers.push(fs.readFileSync(path.join(path.dirname(jsonPath), p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const net = await tf.loadLayersModel({
    load: async () => ({ modelTopology: mj.modelTopology, weightSpecs: specs, weightData,
                         format: mj.format, generatedBy: mj.generatedBy, convertedBy: mj.convertedBy }),
  });
  const [inLo, inHi] = definition.inputRange || [0, 255];
  const [outLo, outHi] = definition.outputRange || [0, 255];
  const bytes = fs.readFileSync(inPath);
  const run = () => tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(bytes), [1, H, W, 3]).div(255).mul(inHi - inLo).add(inLo);
    const y = net.predict(x);
    return y.clipByValue(outLo, outHi).sub(outLo).div(outHi - outLo).mul(255).round();
  });
  const f0 = process.hrtime.bigint(), fc0 = process.cpuUsage();
  let t = run();
  const data = await t.data();
  t.dispose();
  const fc = process.cpuUsage(fc0);
  const first = { ms: Number(process.hrtime.bigint() - f0) / 1e6, cpu_ms: (fc.user + fc.system) / 1e3 };
  fs.writeFileSync(outPath, Buffer.from(Uint8Array.from(data)));
  const times = [], cpu = [];
  for (let i = 0; i < R; ++i) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const y = run();
    await y.data();
    y.dispose();
    const c = process.cpuUsage(c0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpu.push((c.user + c.system) / 1e3);
  }
  process.stdout.write(JSON.stringify({ backend: tf.getBackend(), tfjs: tf.version.tfjs, milliseconds: times,
                                        cpu_milliseconds: cpu, first_run: first }) + '\n');
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
