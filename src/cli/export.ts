// `wasmlp export`: a model file → an ONNX model (the library's toONNX), written atomically.
import { toONNX } from '../index.js';
import { helpText, parseFlags, required, type Flags } from './args.js';
import { writeAtomic } from './files.js';
import { loadModel } from './model-file.js';

export const EXPORT_FLAGS: Flags = {
  model: { type: 'string', value: 'FILE', help: "a model file from 'wasmlp train', or a network saved with Network.save (.json or .wasmlp)", required: true },
  onnx: { type: 'string', value: 'FILE', help: 'where to write the ONNX model', required: true },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const EXPORT_HELP = helpText('wasmlp export --model FILE --onnx FILE',
  'Writes the network as an ONNX model (IR version 7, opset 13; needs the package protobufjs). For a\n' +
  "model from 'wasmlp train' the graph takes the raw feature columns (the standardization is inside\n" +
  'it) and, for regression, outputs the target in its own units.', EXPORT_FLAGS);

export async function exportModel(argv: string[]): Promise<void> {
  const v = parseFlags(argv, EXPORT_FLAGS, 'export');
  if (v.help) { process.stdout.write(EXPORT_HELP); return; }
  const modelFile = required(v, 'model', 'export');
  const out = required(v, 'onnx', 'export');
  const m = await loadModel(modelFile);
  try {
    const d = m.data;
    const bytes = toONNX(m.net, d ? { input: d.standardize, ...(d.targetScale ? { output: d.targetScale } : {}) } : undefined);
    writeAtomic(out, bytes, 'ONNX file');
    console.log(`wrote ${out} (${bytes.length} bytes): input 'input' [N, ${m.net.sizes[0]}] → output 'output' [N, ${m.net.sizes[m.net.sizes.length - 1]}]`);
  } finally {
    m.net.dispose();
  }
}
