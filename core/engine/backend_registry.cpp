#include "engine/backend_registry.h"

#include <map>
#include <mutex>
#include <stdexcept>

#include "engine/backend_module.h"
#include "engine/cpu_backend.h"
#include "engine/llama_model.h"

namespace dbsa {

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, BackendMaker> makers;
  std::map<std::string, ForwardRunnerMaker> runners;
};

Registry& registry() {
  static Registry r;
  return r;
}

bool is_registered(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  return r.makers.count(name) != 0;
}

// A module backend registers itself when first asked for (backend_module.h); its load errors are the
// caller's error.
void load_if_module(const std::string& name) {
  if (is_module_backend(name) && !is_registered(name)) load_backend_module(name);
}

}  // namespace

bool runs_on_cpu(const std::string& name) {
  return cpu_backend_order(name).has_value();
}

std::string backend_summary(const std::string& name) {
  if (const auto order = cpu_backend_order(name)) return std::string(cpu_backend_summary(*order));
  if (is_module_backend(name))
    return "the GPU, through a module loaded on first use: a build with CUDA, a device and its driver, "
           "docs/CUDA.md";
  return {};
}

std::string backend_help() {
  std::vector<std::string> names;
  for (const AttentionOrder o : kAttentionOrders) names.emplace_back(cpu_backend_name(o));
  names.insert(names.end(), module_backend_names().begin(), module_backend_names().end());
  std::string out = "Compute backend: ";
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0                  ? ""
            : i + 1 == names.size() ? "; or "
                                    : "; ") +
           names[i] + " (" + backend_summary(names[i]) + ")";
  return out;
}

void register_backend(const std::string& name, BackendMaker make) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.makers[name] = std::move(make);
}

std::vector<std::string> backend_names() {
  std::vector<std::string> out;
  for (const AttentionOrder o : kAttentionOrders) out.emplace_back(cpu_backend_name(o));
  {
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    for (const auto& [name, make] : r.makers)
      if (!runs_on_cpu(name)) out.push_back(name);
  }
  // An installed module counts as available before it is loaded: choosing it loads it.
  for (const std::string& name : module_backend_names())
    if (!is_registered(name) && !find_backend_module(name).empty()) out.push_back(name);
  return out;
}

std::shared_ptr<Backend> make_backend(const std::string& name, int n_threads) {
  load_if_module(name);
  BackendMaker make;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    if (auto it = r.makers.find(name); it != r.makers.end()) make = it->second;
  }
  if (make) return make(n_threads);
  if (const auto order = cpu_backend_order(name)) return std::make_shared<CpuBackend>(n_threads, *order);
  std::string known;
  for (const auto& n : backend_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::runtime_error("unknown backend '" + name + "'; available: " + known);
}

void register_forward_runner(const std::string& name, ForwardRunnerMaker make) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.runners[name] = std::move(make);
}

std::unique_ptr<ForwardRunner> make_forward_runner(const std::string& name, const LlamaModel& model) {
  load_if_module(name);
  ForwardRunnerMaker make;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    if (auto it = r.runners.find(name); it != r.runners.end()) make = it->second;
  }
  return make ? make(model) : nullptr;
}

std::unique_ptr<LlamaModel> load_model(std::shared_ptr<const GgufFile> file, const std::string& backend,
                                       int n_threads, WeightPrecision precision, KvType kv) {
  if (!runs_on_cpu(backend) && precision == WeightPrecision::Native) precision = WeightPrecision::F16;
  const WeightLoadOptions wo = WeightLoadOptions::for_precision(precision);
  auto be = make_backend(backend, n_threads);
  check_kv_type(*be, kv);  // before the weights load
  auto model = std::make_unique<LlamaModel>(ModelWeights::load(std::move(file), wo), std::move(be));
  model->set_kv_type(kv);
  return model;
}

}  // namespace dbsa
