// Runs an ONNX model once with ONNX Runtime (CPU) on a raw float32 input and
// writes the raw float32 output: the independent check of export-onnx.
// usage: node ort_run.js MODEL.onnx INPUT.f32 C H W OUTPUT.f32
const fs = require('fs');
const ort = require(process.env.ORT_NODE || 'onnxruntime-node');
(async () => {
  const [model, input, c, h, w, output] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
  const bytes = fs.readFileSync(input);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const result = await session.run({ input: new ort.Tensor('float32', data, [1, +c, +h, +w]) });
  const out = result.output;
  fs.writeFileSync(output, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  console.log(JSON.stringify({ dims: out.dims }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
