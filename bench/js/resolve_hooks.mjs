// resolve_hooks.mjs — Node module-resolution hooks for bench/js_vs_transformersjs
// (registered by node_child.mjs with module.register): bare specifiers whose
// packages live outside this tree are resolved as if imported from a given
// directory, e.g.
//   '@huggingface/transformers', 'onnxruntime-web' -> build-anchors/js/
//   'ipfs_accelerate_js' -> ipfs_accelerate_js/ (the package's self-reference,
//                           so its "exports" apply)
// data = { roots: { "<package name>": "<file: URL of a file in the dir to resolve from>" } }
let roots = {};

export async function initialize(data) {
  roots = data?.roots ?? {};
}

export async function resolve(specifier, context, next) {
  for (const [pkg, parentURL] of Object.entries(roots)) {
    if (specifier === pkg || specifier.startsWith(pkg + '/')) {
      return next(specifier, { ...context, parentURL });
    }
  }
  return next(specifier, context);
}
