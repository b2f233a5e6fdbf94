// `wasmlp predict`: a model file and a CSV file → one prediction per row, as CSV.
import { helpText, parseFlags, required, type Flags } from './args.js';
import { csvCell, readTable } from './csv.js';
import { inputs } from './dataset.js';
import { writeAtomic } from './files.js';
import { loadModel, requireData } from './model-file.js';
import { argmaxRows } from './terminal.js';

export const PREDICT_FLAGS: Flags = {
  model: { type: 'string', value: 'FILE', help: "a model file written by 'wasmlp train'", required: true },
  data: { type: 'string', value: 'FILE', help: "CSV file with the model's feature columns (any order; other columns are ignored)", required: true },
  out: { type: 'string', value: 'FILE', help: 'write the predictions there instead of to stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const PREDICT_HELP = helpText(
  'wasmlp predict --model FILE --data FILE [--out FILE]',
  'Predicts every row of a CSV file. Prints CSV with a header, one row per input row: for a\n' +
  "classifier 'prediction' (the most probable class) and 'p_<class>' (each class's probability,\n" +
  "6 decimals); for a regression model 'prediction' (in the target's units).",
  PREDICT_FLAGS,
);

export async function predict(argv: string[]): Promise<void> {
  const v = parseFlags(argv, PREDICT_FLAGS, 'predict');
  if (v.help) { process.stdout.write(PREDICT_HELP); return; }
  const modelFile = required(v, 'model', 'predict');
  const dataFile = required(v, 'data', 'predict');
  const out = v.out as string | undefined;
  const m = await loadModel(modelFile);
  const spec = requireData(m, 'predict');
  try {
    const t = readTable(dataFile);
    const x = inputs(t, spec);
    const p = m.net.predict(x);
    const lines: string[] = [];
    if (spec.classes) {
      const k = spec.classes.length;
      const best = argmaxRows(p, k);
      lines.push(['prediction', ...spec.classes.map((c) => `p_${c}`)].map(csvCell).join(','));
      for (let r = 0; r < t.rows.length; r++) {
        const probs = Array.from(p.subarray(r * k, (r + 1) * k), (q) => q.toFixed(6));
        lines.push([csvCell(spec.classes[best[r]!]!), ...probs].join(','));
      }
    } else {
      const { mean, std } = spec.targetScale!;
      lines.push('prediction');
      for (let r = 0; r < t.rows.length; r++) lines.push(String(Number((p[r]! * std + mean).toPrecision(7))));
    }
    const text = lines.join('\n') + '\n';
    if (out) {
      writeAtomic(out, text, 'predictions file');
      console.log(`wrote ${t.rows.length} predictions to ${out}`);
    } else process.stdout.write(text);
  } finally {
    m.net.dispose();
  }
}
