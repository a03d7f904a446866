// Helpers shared by the test suites: exact and relative comparisons with readable failure
// reports, and a gradcheck wrapper that prints what failed.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/tensor.h"

namespace igcam::test {

// max|a - ref| / max|ref| (max|a - ref| when ref is all zero).
double relative_error(const Tensor& a, const Tensor& ref);

// Every element of t equals expected (within atol), with a report of the first mismatch.
void check_values(const Tensor& t, const std::vector<double>& expected, double atol = 0.0);

// Runs gradcheck and CHECKs it passed, printing the first failing entry.
void check_gradients(const std::string& what, const std::function<ag::Var(const std::vector<ag::Var>&)>& fn,
                     const std::vector<Tensor>& inputs, const ag::GradcheckOptions& options = {});

// The index of each row's largest logit, (N, C) -> N classes (first on ties).
std::vector<int64_t> top1(const Tensor& logits);

// Values of magnitude in [0.1, 1] with a random sign: kept away from ReLU's kink at 0.
Tensor away_from_zero(const Shape& shape, uint64_t seed, DType dtype = DType::F64);

}  // namespace igcam::test
