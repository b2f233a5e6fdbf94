// `wasmlp evaluate`: a model file and a labelled CSV file → loss, accuracy and a confusion matrix
// (classification) or loss, RMSE, MAE and R² (regression).
import { helpText, parseFlags, required, type Flags } from './args.js';
import { readTable } from './csv.js';
import { inputs, targets } from './dataset.js';
import { loadModel, requireData } from './model-file.js';
import { argmaxRows, confusionMatrix, confusionTable, detectStyle, fmt, lossStr, painter, pct } from './terminal.js';

export const EVALUATE_FLAGS: Flags = {
  model: { type: 'string', value: 'FILE', help: "a model file written by 'wasmlp train'", required: true },
  data: { type: 'string', value: 'FILE', help: "CSV file with the model's feature columns and its target column", required: true },
  json: { type: 'boolean', help: 'print the results as one JSON object' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const EVALUATE_HELP = helpText(
  'wasmlp evaluate --model FILE --data FILE [--json]',
  "Measures a model on a labelled CSV file: the loss it was trained on (mean per row) and, for a\n" +
  'classifier, the accuracy and the confusion matrix; for a regression model, RMSE, MAE and R² in\n' +
  "the target's units.",
  EVALUATE_FLAGS,
);

export async function evaluate(argv: string[]): Promise<void> {
  const v = parseFlags(argv, EVALUATE_FLAGS, 'evaluate');
  if (v.help) { process.stdout.write(EVALUATE_HELP); return; }
  const modelFile = required(v, 'model', 'evaluate');
  const dataFile = required(v, 'data', 'evaluate');
  const m = await loadModel(modelFile);
  const spec = requireData(m, 'evaluate');
  try {
    const t = readTable(dataFile);
    const x = inputs(t, spec);
    const { y, classIndex, values } = targets(t, spec);
    const ev = m.net.evaluate(x, y);
    const p = m.net.predict(x);
    const n = t.rows.length;
    const style = detectStyle();
    const paint = painter(style);
    const lossName = spec.classes ? 'cross-entropy' : "mse: ½(target − output)² on the standardized target";
    if (spec.classes) {
      const k = spec.classes.length;
      const predicted = argmaxRows(p, k);
      const matrix = confusionMatrix(classIndex!, predicted, k);
      const correct = matrix.reduce((s, row, i) => s + row[i]!, 0);
      if (v.json) {
        console.log(JSON.stringify({ rows: n, loss: ev.loss, accuracy: correct / n, correct, classes: spec.classes, confusion: matrix }));
        return;
      }
      console.log(`${dataFile}: ${n} rows; model ${modelFile} (classification of '${spec.target}')`);
      console.log(`loss      ${lossStr(ev.loss)} (${lossName}, mean per row)`);
      console.log(`accuracy  ${paint.bold(pct(correct / n))} (${correct} of ${n})`);
      console.log('');
      console.log(`confusion matrix (rows: true ${spec.target}, columns: predicted)`);
      console.log(confusionTable(spec.classes, matrix, style));
    } else {
      const { mean, std } = spec.targetScale!;
      let se = 0, ae = 0, tm = 0;
      for (let r = 0; r < n; r++) tm += values![r]!;
      tm /= n;
      let tv = 0;
      for (let r = 0; r < n; r++) {
        const d = p[r]! * std + mean - values![r]!;
        se += d * d; ae += Math.abs(d);
        tv += (values![r]! - tm) ** 2;
      }
      const rmse = Math.sqrt(se / n), mae = ae / n, r2 = tv > 0 ? 1 - se / tv : NaN;
      if (v.json) {
        console.log(JSON.stringify({ rows: n, loss: ev.loss, rmse, mae, r2: Number.isFinite(r2) ? r2 : null }));
        return;
      }
      console.log(`${dataFile}: ${n} rows; model ${modelFile} (regression of '${spec.target}')`);
      console.log(`loss  ${lossStr(ev.loss)} (${lossName}, mean per row)`);
      console.log(`rmse  ${paint.bold(fmt(rmse))}   mae ${fmt(mae)}   r² ${Number.isFinite(r2) ? r2.toFixed(4) : 'n/a (constant target)'}`);
    }
  } finally {
    m.net.dispose();
  }
}
