// Graph structure (issue 13): the topological sort, the free names of subgraphs and the
// structure check are iterative, so deep graphs (a long chain stored in reverse order, deeply
// nested subgraphs) neither overflow the stack nor take quadratic memory; and they name what is
// wrong. Pure IR: no operators, no GPU.
import { assert, assertEquals, assertThrows } from '../../test/assert.ts';
import { test } from '../../test/harness.ts';
import { ModelFormatError, UnsupportedOperatorError } from './errors.ts';
import type { Graph, ModelIR, Node } from './ir.ts';
import type { OperatorDef } from './operator.ts';
import { checkStructure, checkSupport, freeNames, sortNodes } from './plan.ts';

function node(op: string, inputs: string[], outputs: string[], name = outputs[0]): Node {
  return { name, op, domain: '', inputs, outputs, attributes: {} };
}

function graph(nodes: Node[], inputs: string[], outputs: string[], name = 'g'): Graph {
  return {
    name,
    nodes,
    inputs: inputs.map((n) => ({ name: n })),
    outputs: outputs.map((n) => ({ name: n })),
    initializers: new Map(),
  };
}

/** x → Neg → t1 → … → tN (= y), stored last node first when `reversed`. */
function chain(length: number, reversed: boolean): Graph {
  const nodes = Array.from(
    { length },
    (_, i) => node('Neg', [i === 0 ? 'x' : `t${i}`], [i === length - 1 ? 'y' : `t${i + 1}`]),
  );
  return graph(reversed ? nodes.reverse() : nodes, ['x'], ['y']);
}

test('sortNodes: a chain of 100,000 nodes stored in reverse order sorts without recursion', () => {
  for (const length of [1, 2, 100_000]) {
    const g = chain(length, true);
    const order = sortNodes(g);
    assertEquals(order.length, length);
    assertEquals(order[0].inputs[0], 'x');
    assertEquals(order[length - 1].outputs[0], 'y');
    for (let i = 1; i < length; i++) {
      if (order[i].inputs[0] !== order[i - 1].outputs[0]) {
        throw new Error(`node ${i} reads ${order[i].inputs[0]}, before it ${order[i - 1].outputs}`);
      }
    }
    checkStructure(g);
  }
  // Files in order keep their order.
  const ordered = chain(1000, false);
  assert(sortNodes(ordered).every((n, i) => n === ordered.nodes[i]), 'file order kept');
});

test('sortNodes: a long cycle is named, shortened', () => {
  // t0 → t1 → … → t9999 → t0, and y from t0.
  const n = 10_000;
  const nodes = Array.from({ length: n }, (_, i) => node('Neg', [`t${i}`], [`t${(i + 1) % n}`]));
  nodes.push(node('Relu', ['t0'], ['y']));
  const e = assertThrows(
    () => sortNodes(graph(nodes, ['x'], ['y'])),
    ModelFormatError,
    "Cannot load graph 'g': the nodes form a cycle: ",
  );
  assert(e.message.includes('… 9989 more'), e.message);
  assert(e.message.length < 300, `message of ${e.message.length} characters`);
});

/** A graph nesting `depth` If nodes; the innermost branch reads `read` from outside. */
function nested(depth: number, read: string): Graph {
  let inner = graph([node('Relu', [read], ['r0'])], [], ['r0'], 'branch0');
  for (let d = 1; d < depth; d++) {
    const n = node('If', ['c'], [`r${d}`], `if${d}`);
    n.attributes = { then_branch: inner, else_branch: inner };
    inner = graph([n], [], [`r${d}`], `branch${d}`);
  }
  const top = node('If', ['c'], ['y'], 'top');
  top.attributes = { then_branch: inner, else_branch: inner };
  return graph([top], ['x', 'c'], ['y']);
}

test('freeNames/checkStructure/checkSupport: subgraphs nested 5,000 deep, without recursion', () => {
  const g = nested(5000, 'x');
  const branch = g.nodes[0].attributes.then_branch as Graph;
  assertEquals([...freeNames(branch)].join(), 'c,x');
  checkStructure(g);
  const model: ModelIR = { graph: g, opset: 17, opsets: { '': 17 }, irVersion: 8, producer: '' };
  const ops = new Map<string, OperatorDef>([['If', { infer: () => [] }]]);
  const e = assertThrows(() => checkSupport(model, ops), UnsupportedOperatorError, 'Relu');
  assertEquals((e as UnsupportedOperatorError).operators.Relu.join(), 'r0');
  // The innermost branch reads a name nothing defines: the top node is named.
  assertThrows(
    () => checkStructure(nested(5000, 'ghost')),
    ModelFormatError,
    "node 'top' (If) reads 'ghost' in a subgraph, which no node, input or initializer defines",
  );
});

test('checkStructure: a subgraph sees the names around it and may not redefine them', () => {
  const branch = (nodes: Node[], out: string) => graph(nodes, [], [out], 'branch');
  const withBranch = (b: Graph) => {
    const n = node('If', ['c'], ['y'], 'if');
    n.attributes = { then_branch: b, else_branch: b };
    return graph([node('Neg', ['x'], ['a']), n], ['x', 'c'], ['y']);
  };
  checkStructure(withBranch(branch([node('Relu', ['a'], ['t'])], 't')));
  assertThrows(
    () => checkStructure(withBranch(branch([node('Relu', ['x'], ['a'])], 'a'))),
    ModelFormatError,
    "Cannot load graph 'branch': tensor 'a' is defined twice (node 'a', and the enclosing graph)",
  );
  // Subgraph outputs must be computed (or visible).
  assertThrows(
    () => checkStructure(withBranch(branch([node('Relu', ['x'], ['t'])], 'u'))),
    ModelFormatError,
    "Cannot load graph 'g': node 'if' (If) reads 'u' in a subgraph",
  );
});
