/**
 * The benchmark page's bundle: build/bench/web/bench-page.js (ES module), the engine as the browser
 * runs it. onnxruntime-web loads ort-wasm-simd-threaded.{mjs,wasm} from wasmPaths (/ort/), not
 * inlined; importMeta: false keeps import.meta.url native (see FIELD-NOTES.md in ../shared, beside the repository).
 */
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');

module.exports = {
  name: 'bench-page',
  mode: 'production',
  target: ['web', 'es2020'],
  devtool: false,
  entry: { 'bench-page': path.resolve(__dirname, 'browser/benchPage.ts') },
  experiments: { outputModule: true },
  output: {
    path: path.resolve(ROOT, 'build/bench/web'),
    filename: '[name].js',
    module: true,
    chunkFormat: 'module',
    publicPath: 'auto',
    clean: false,
  },
  resolve: {
    extensions: ['.ts', '.js', '.mjs', '.json'],
    conditionNames: ['onnxruntime-web-use-extern-wasm', 'webpack', 'production', 'browser', 'import', 'module', 'default'],
    fallback: { fs: false, path: false, crypto: false, url: false, module: false, worker_threads: false, perf_hooks: false, os: false },
  },
  module: {
    parser: { javascript: { importMeta: false, url: false, dynamicImportMode: 'eager' } },
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: {
          loader: 'ts-loader',
          options: {
            transpileOnly: true,
            configFile: path.resolve(ROOT, 'tsconfig.json'),
            compilerOptions: { module: 'es2020', target: 'es2020', sourceMap: false },
          },
        },
      },
    ],
  },
  optimization: { splitChunks: false, runtimeChunk: false },
  performance: { hints: false },
  ignoreWarnings: [/Critical dependency/, /the request of a dependency is an expression/],
};
