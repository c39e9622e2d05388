#include "resr/status.hpp"

namespace resr {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 0;
    case ErrorCode::kInternal:
      return 1;
    case ErrorCode::kInvalidArgument:
      return 2;
    case ErrorCode::kNotFound:
      return 3;
    case ErrorCode::kInvalidImage:
      return 4;
    case ErrorCode::kInvalidModel:
      return 5;
    case ErrorCode::kIoError:
      return 6;
    case ErrorCode::kUnsupported:
      return 7;
    case ErrorCode::kChecksumMismatch:
      return 8;
    case ErrorCode::kResourceExhausted:
      return 9;
    case ErrorCode::kUnavailable:
      return 10;
    case ErrorCode::kCancelled:
      return 130;
  }
  return 1;
}

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kInvalidModel:
      return "invalid model";
    case ErrorCode::kInvalidImage:
      return "invalid image";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kIoError:
      return "i/o error";
    case ErrorCode::kChecksumMismatch:
      return "checksum mismatch";
    case ErrorCode::kResourceExhausted:
      return "resource exhausted";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "internal error";
}

}  // namespace resr
