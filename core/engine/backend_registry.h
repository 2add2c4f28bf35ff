#pragma once
// Backends by name, so that callers (the CLI's --backend, the GUI) choose one without depending on
// it at compile time: "cpu" is always present, and "cpu-reference", the same backend computing attention
// in llama.cpp's order of operations (engine/cpu_backend.h); "cuda" comes from a module loaded on first
// use (engine/backend_module.h; kernels/cuda_module.cpp is its entry).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/forward_runner.h"
#include "engine/llama_model.h"
#include "model/gguf_file.h"

namespace dbsa {

// Creates a backend; n_threads is the CPU backend's pool size (0: all cores), ignored by others.
using BackendMaker = std::function<std::shared_ptr<Backend>(int n_threads)>;

// Adds (or replaces) the backend called name.
void register_backend(const std::string& name, BackendMaker make);

// The registered names, "cpu" first, and the module backends whose module is installed.
std::vector<std::string> backend_names();
// "cpu" and "cpu-reference": the backends that multiply quantized weights in their blocks.
bool runs_on_cpu(const std::string& name);
// What the named backend is for, in a few words; empty for a name that is no backend of this program.
std::string backend_summary(const std::string& name);
// "Compute backend: cpu (…); cpu-reference (…); or cuda (…)": every backend the program knows, those
// whose module this build lacks included (the --backend help).
std::string backend_help();

// Creates the named backend, loading its module first for a module backend. Throws std::runtime_error
// naming the backend and what is available when it is unknown, passes on the module loader's error
// (no module, a missing CUDA library) and the maker's when it cannot start (e.g. no device).
std::shared_ptr<Backend> make_backend(const std::string& name, int n_threads = 0);

// A model on the named backend with its weights held as `precision` says and its caches of type `kv`
// (LlamaModel::set_kv_type). Device backends have no integer kernels yet: for them `native` holds
// quantized matrices as F16. The backend is made and checked first, so a missing device or a cache type
// it does not read is reported before seconds of weight loading.
std::unique_ptr<LlamaModel> load_model(std::shared_ptr<const GgufFile> file, const std::string& backend,
                                       int n_threads, WeightPrecision precision, KvType kv = KvType::F32);

// Device-resident forward passes by backend name (see forward_runner.h); none for "cpu".
using ForwardRunnerMaker = std::function<std::unique_ptr<ForwardRunner>(const LlamaModel& model)>;
void register_forward_runner(const std::string& name, ForwardRunnerMaker make);
// The named backend's runner over `model` (which must outlive it), or null when it has none.
std::unique_ptr<ForwardRunner> make_forward_runner(const std::string& name, const LlamaModel& model);

}  // namespace dbsa
