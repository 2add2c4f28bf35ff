// Writes the fuzzer's seed corpus: small GGUF images made with GgufWriter that reach every parser path
// (all value types, nested arrays, every tensor type, a custom alignment, a complete tiny model).
// Usage: gguf_fuzz_seeds DIR
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "model/dequantize.h"
#include "model/gguf_writer.h"
#include "model/quantize.h"

namespace {

using namespace dbsa;

GgufWriter all_values() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u8("a.u8", 200);
  w.set_i8("a.i8", -100);
  w.set_u16("a.u16", 60000);
  w.set_i16("a.i16", -30000);
  w.set_u32("a.u32", 4000000000u);
  w.set_i32("a.i32", -7);
  w.set_u64("a.u64", 1ull << 40);
  w.set_i64("a.i64", -(1ll << 40));
  w.set_f32("a.f32", 0.5f);
  w.set_f64("a.f64", 1e-300);
  w.set_bool("a.bool", true);
  w.set_array_string("a.strs", {"<s>", "", "\xe2\x96\x81hi"});
  w.set_array_f32("a.f32s", {1.0f, -2.0f});
  w.set_array_i32("a.i32s", {3, -4});
  auto inner = std::make_shared<GgufArray>();
  inner->elem_type = GgufValueType::UINT16;
  inner->items = {GgufValue{GgufValueType::UINT16, uint64_t{5}}};
  auto outer = std::make_shared<GgufArray>();
  outer->elem_type = GgufValueType::ARRAY;
  outer->items = {GgufValue{GgufValueType::ARRAY, inner}, GgufValue{GgufValueType::ARRAY, inner}};
  w.set("a.nested", GgufValue{GgufValueType::ARRAY, outer});
  return w;
}

GgufWriter all_tensor_types(uint32_t alignment) {
  GgufWriter w;
  if (alignment) w.set_alignment(alignment);
  std::vector<float> v(256);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(static_cast<int>(i % 17) - 8) * 0.125f;
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0}) {
    const auto bytes = quantize(t, std::span(v.data(), 64));
    w.add_tensor("t." + std::string(ggml_type_name(t)), t, {32, 2}, bytes);
  }
  // Block types without a quantizer here: plausible bytes with small f16 scales.
  for (GgmlType t : {GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_1, GgmlType::Q2_K,
                     GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_K,
                     GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::I32}) {
    const auto info = *ggml_type_info(static_cast<uint32_t>(t));
    std::vector<std::byte> bytes(info.block_bytes);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>((i * 37 + 11) & 0x3f);
    w.add_tensor("t." + std::string(info.name), t, {info.block_elems}, bytes);
  }
  return w;
}

// A complete llama model small enough for libFuzzer's input sizes: n_embd 32, 1 layer, 8 tokens.
GgufWriter micro_model() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.context_length", 64);
  w.set_u32("llama.embedding_length", 32);
  w.set_u32("llama.block_count", 1);
  w.set_u32("llama.feed_forward_length", 32);
  w.set_u32("llama.attention.head_count", 2);
  w.set_u32("llama.attention.head_count_kv", 1);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_f32("llama.rope.freq_base", 10000.0f);
  w.set_string("llama.rope.scaling.type", "linear");
  w.set_f32("llama.rope.scaling.factor", 2.0f);
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_array_string("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a", "b", "\xe2\x96\x81", "ab", "ba"});
  std::vector<float> m(32 * 32, 0.01f), n(32, 1.0f);
  auto mat = [&](const std::string& name, uint64_t rows) {
    w.add_tensor(name, GgmlType::Q8_0, {32, rows}, quantize(GgmlType::Q8_0, std::span(m.data(), 32 * rows)));
  };
  mat("token_embd.weight", 8);
  w.add_tensor_f32("blk.0.attn_norm.weight", {32}, n);
  mat("blk.0.attn_q.weight", 32);
  mat("blk.0.attn_k.weight", 16);
  mat("blk.0.attn_v.weight", 16);
  mat("blk.0.attn_output.weight", 32);
  w.add_tensor_f32("blk.0.ffn_norm.weight", {32}, n);
  mat("blk.0.ffn_gate.weight", 32);
  mat("blk.0.ffn_up.weight", 32);
  mat("blk.0.ffn_down.weight", 32);
  w.add_tensor_f32("output_norm.weight", {32}, n);
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path dir(argv[1]);
    std::filesystem::create_directories(dir);
    all_values().write((dir / "all_values.gguf").string());
    all_tensor_types(0).write((dir / "all_tensor_types.gguf").string());
    all_tensor_types(64).write((dir / "all_tensor_types_align64.gguf").string());
    micro_model().write((dir / "micro_model.gguf").string());
    GgufWriter empty;
    empty.write((dir / "empty.gguf").string());
    std::printf("wrote 5 seeds to %s\n", dir.string().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gguf_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
