/** What an example model reads. */
export type ExampleInput =
  | { kind: 'image'; shape: number[]; range: [number, number] }
  | { kind: 'tokens'; shape: number[]; vocabulary: string };

/** One example model of the package. */
export interface ExampleModel {
  /** Short name, also the file's stem. */
  id: string;
  /** What to call it on a page. */
  title: string;
  /** The ONNX file, relative to the package. */
  file: string;
  input: ExampleInput;
  /** Class names, by output index. */
  labels: string[];
  /** 200 test samples and their labels as .npy files, relative to the package. */
  samples: { inputs: string; labels: string };
  /** Where the training data came from, and its license. */
  data: string;
}

/** The example models this package holds. */
export const MODELS: ExampleModel[];

/** The address of one of this package's files, beside this module unless `base` says where. */
export function modelUrl(file: string, base?: string | URL): URL;
