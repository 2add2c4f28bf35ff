#pragma once
// One factory per method (one source file each); make_method dispatches on the name.
#include <memory>
#include <string>

#include "method/method.h"

namespace dbsa {

// dbsa and full-icl: a block cache in the store, queried through BlockQuery (dbsa_method.cpp).
std::unique_ptr<Method> make_block_cache_method(std::string name, MethodInputs in);
std::unique_ptr<Method> make_dbsa_method(MethodInputs in);
std::unique_ptr<Method> make_full_icl_method(MethodInputs in);
std::unique_ptr<Method> make_cached_icl_method(MethodInputs in);
std::unique_ptr<Method> make_retrieval_icl_method(MethodInputs in);
std::unique_ptr<Method> make_zero_shot_method(MethodInputs in);

// Checks what every method needs (model, tokenizer, labels) and returns the label set.
LabelSet checked_label_set(const MethodInputs& in, std::string_view method);

}  // namespace dbsa
