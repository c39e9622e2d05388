// Public API: writing a model as a standard ONNX file.
#pragma once

#include "model/formats/onnx/onnx_export.hpp"
#include "resr/model.hpp"
