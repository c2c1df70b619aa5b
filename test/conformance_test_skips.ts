// The ONNX backend node cases test/conformance_test.ts skips, with the reason for each (also read
// by test/conformance_table.ts, which prints the README's table).

/** Cases glassbox does not run, with the reason. */
export const SKIPPED: Record<string, string> = {
  test_maxpool_with_argmax_2d_precomputed_pads: 'MaxPool Indices output is not supported',
  test_maxpool_with_argmax_2d_precomputed_strides: 'MaxPool Indices output is not supported',
  test_batchnorm_epsilon_training_mode: 'training mode: glassbox is an inference engine',
  test_batchnorm_example_training_mode: 'training mode: glassbox is an inference engine',
  test_training_dropout: 'training-mode Dropout is random: inference engine',
  test_training_dropout_default: 'training-mode Dropout is random: inference engine',
  test_training_dropout_default_mask: 'training-mode Dropout is random: inference engine',
  test_training_dropout_mask: 'training-mode Dropout is random: inference engine',
  test_training_dropout_zero_ratio_mask: 'training-mode Dropout is random: inference engine',
  test_castlike_BFLOAT16_to_FLOAT:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_castlike_FLOAT_to_BFLOAT16:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_castlike_BFLOAT16_to_FLOAT_expanded:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_castlike_FLOAT_to_BFLOAT16_expanded:
    "onnx 1.12's data gives 'like' shape [1], the model declares [3, 4] (glassbox checks shapes)",
  test_cast_FLOAT_to_STRING: 'string tensors are not supported',
  test_cast_STRING_to_FLOAT: 'string tensors are not supported',
  test_castlike_FLOAT_to_STRING_expanded: 'string tensors are not supported',
  test_castlike_STRING_to_FLOAT_expanded: 'string tensors are not supported',
  test_identity_opt: 'optional types are not supported as runtime values',
  test_if_opt: 'optional types are not supported as runtime values',
  test_loop16_seq_none: 'optional types are not supported as runtime values',
  test_if_seq: 'sequence-typed graph outputs are not supported (sequences are folded)',
  test_loop13_seq: 'sequence-typed graph inputs are not supported (sequences are folded)',
  test_sequence_insert_at_back:
    'sequence-typed graph inputs are not supported (sequences are folded)',
  test_sequence_insert_at_front:
    'sequence-typed graph inputs are not supported (sequences are folded)',
  test_castlike_FLOAT_to_STRING: 'string tensors are not supported',
  test_castlike_STRING_to_FLOAT: 'string tensors are not supported',
  test_identity_sequence: 'sequences only live on the CPU (folded at plan time), not as inputs',
};
