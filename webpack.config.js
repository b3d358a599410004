/**
 * ES-module bundles for the prebuilt OHIF viewer (loaded at run time with a native import(url)):
 *   build/ohif/body-region-extension.js  default export: the extension object
 *   build/ohif/body-region-mode.js       default export: the mode object
 *   build/ohif/body-region-worker.js     the classification worker (module worker)
 * Everything else the viewer needs (model, labels, onnxruntime wasm) is served beside them by
 * `npm start` (extension/src/node/server.ts) or copied by the deployer (docs/OHIF.md).
 *
 * No eval-based devtool (strict CSP); `importMeta: false` keeps import.meta.url native so that
 * publicPath 'auto' and onnxruntime resolve URLs against the bundle's real location.
 */
const path = require('path');

const OUT = path.resolve(__dirname, 'build/ohif');

function bundle(name, entry, { library = true, minimize = true } = {}) {
  return {
    name,
    mode: process.env.BODY_REGION_BUNDLE_MODE === 'development' ? 'development' : 'production',
    target: ['web', 'es2020'],
    devtool: 'source-map',
    entry: { [name]: path.resolve(__dirname, entry) },
    experiments: { outputModule: true },
    output: {
      path: OUT,
      filename: '[name].js',
      module: true,
      chunkFormat: 'module',
      publicPath: 'auto',
      ...(library ? { library: { type: 'module' } } : {}),
      clean: false,
    },
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
      // onnxruntime-web: use the build that loads ort-wasm-simd-threaded.{mjs,wasm} from wasmPaths
      // (served beside the bundles) instead of inlining them.
      conditionNames: ['onnxruntime-web-use-extern-wasm', 'webpack', 'production', 'browser', 'import', 'module', 'default'],
      // The wasm-only build: no WebGPU/WebNN code, loads only ort-wasm-simd-threaded.{mjs,wasm}.
      alias: {
        'onnxruntime-web$': path.resolve(__dirname, 'node_modules/onnxruntime-web/dist/ort.wasm.min.mjs'),
        // The mode imports the extension package's "./ids" export (extension/package.json).
        '@ohif-body-region/extension/ids$': path.resolve(__dirname, 'extension/src/ohif/ids.ts'),
      },
      fallback: { fs: false, path: false, crypto: false, url: false, module: false, worker_threads: false, perf_hooks: false, os: false },
    },
    module: {
      parser: { javascript: { importMeta: false, url: false, dynamicImportMode: 'eager' } },
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'ts-loader',
            options: {
              transpileOnly: true,
              configFile: path.resolve(__dirname, 'tsconfig.json'),
              compilerOptions: { module: 'es2020', target: 'es2020', sourceMap: true, jsx: 'react-jsx' },
            },
          },
        },
      ],
    },
    optimization: { splitChunks: false, runtimeChunk: false, minimize },
    performance: { hints: false },
    ignoreWarnings: [/Critical dependency/, /the request of a dependency is an expression/],
  };
}

module.exports = [
  bundle('body-region-extension', 'extension/src/ohif/index.tsx'),
  bundle('body-region-mode', 'mode/src/index.ts'),
  // The worker is mostly the cornerstone codecs, already minified Emscripten output: minifying it
  // again costs minutes on a small machine and saves little.
  bundle('body-region-worker', 'extension/src/ohif/worker/classifyWorker.ts', { library: false, minimize: false }),
];
