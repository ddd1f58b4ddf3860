// The docs sidebar: from first steps to internals.
/** @type {import('@docusaurus/plugin-content-docs').SidebarsConfig} */
module.exports = {
  docs: [
    'index',
    'getting-started',
    'coming-from-deepspeed',
    {type: 'category', label: 'Training', collapsed: false, items: ['zero-stages', 'precision', 'offload', 'schedules']},
    {type: 'category', label: 'Running', collapsed: false,
      items: ['cli', 'multi-process', 'checkpoints', 'sweeps', 'benchmarks']},
    {type: 'category', label: 'Reference', collapsed: false, items: ['config-reference', 'engine']},
  ],
};
