// `wasmlp info`: what a model file holds.
import { helpText, parseFlags, required, type Flags } from './args.js';
import { loadModel } from './model-file.js';
import { describeLayer, describeLearningRate, stackOf } from '../internal.js';
import { fmt, lossStr, pct, thousands } from './terminal.js';

export const INFO_FLAGS: Flags = {
  model: { type: 'string', value: 'FILE', help: "a model file from 'wasmlp train', or a network saved with Network.save (.json or .wasmlp)", required: true },
  json: { type: 'boolean', help: 'print the information as one JSON object' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const INFO_HELP = helpText(
  'wasmlp info --model FILE [--json]',
  'Shows a model: architecture, parameter count, optimizer, and for a model from wasmlp train its\n' +
  'columns, classes and training options.',
  INFO_FLAGS,
);

export async function info(argv: string[]): Promise<void> {
  const v = parseFlags(argv, INFO_FLAGS, 'info');
  if (v.help) { process.stdout.write(INFO_HELP); return; }
  const modelFile = required(v, 'model', 'info');
  const m = await loadModel(modelFile);
  const o = m.net.options;
  const list = o.layers.some((e) => typeof e !== 'number');
  const table = list ? m.net.summary() : null;
  const { learningRate: _lr, ...optimizerSettings } = o.optimizer as unknown as Record<string, unknown>;
  const summary = {
    file: modelFile,
    kind: m.kind,
    layers: [...o.layers],
    activation: [...o.activation],
    outputActivation: o.outputActivation,
    loss: o.loss,
    bias: o.bias,
    parameters: m.net.parameterCount,
    optimizer: o.optimizer,
    steps: m.steps,
    seed: o.seed,
    data: m.data,
    training: m.training,
  };
  m.net.dispose();
  if (v.json) { console.log(JSON.stringify(summary)); return; }
  const acts = [...new Set(o.activation)].join('/');
  const lines: [string, string][] = [
    ['model', `${modelFile} (${m.kind === 'cli' ? "written by 'wasmlp train'" : 'a network saved with Network.save'})`],
    ['architecture', list
      ? `${o.layers[0]} → ${stackOf(o).map((e) => describeLayer(e.spec, true)).join(' → ')}, loss ${o.loss}`
      : `${o.layers.join('-')}: ${o.layers.length - 2} hidden layer${o.layers.length === 3 ? '' : 's'}${acts ? ` (${acts})` : ''}, ${o.outputActivation} output, loss ${o.loss}, bias ${o.bias ? 'on' : 'off'}`],
    ['parameters', thousands(summary.parameters)],
    ['optimizer', `${o.optimizer.type}, learning rate ${describeLearningRate(o.optimizer.learningRate)} (${Object.entries(optimizerSettings).filter(([k]) => k !== 'type').map(([k, x]) => `${k} ${x}`).join(', ')}); ${thousands(m.steps)} steps taken`],
    ['seed', String(o.seed)],
  ];
  if (m.data) {
    const d = m.data;
    lines.push(['features', `${d.features.join(', ')} (standardized: mean and std of the training rows)`]);
    lines.push(['target', d.classes ? `${d.target}: classification, ${d.classes.length} classes (${d.classes.join(', ')})` : `${d.target}: regression (scaled by its training mean ${fmt(d.targetScale!.mean)} and std ${fmt(d.targetScale!.std)})`]);
  }
  if (m.training) {
    const t = m.training;
    lines.push(['trained on', `${t.data}: ${t.rows} rows, ${t.trainRows} for training, ${t.validationRows} for validation (split ${t.validationSplit})`]);
    lines.push(['training', `${t.epochsRun} of ${t.epochs} epochs (${t.stopReason}), batch ${t.batchSize}, ${t.seconds} s`]);
    const res = [`loss ${lossStr(t.loss)}`];
    if (t.valLoss !== null) res.push(`val loss ${lossStr(t.valLoss)}`);
    if (t.valAccuracy !== null) res.push(`val accuracy ${pct(t.valAccuracy)}`);
    lines.push(['final', res.join(', ')]);
  }
  const w = Math.max(...lines.map(([k]) => k.length)) + 2;
  for (const [k, x] of lines) console.log(`${k.padEnd(w)}${x}`);
  if (table) console.log(`\n${table}`);
}
