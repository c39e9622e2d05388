// Public API: the one atomic, durable writer for files a user sees (see
// core/pending_file.hpp), for front ends that store files of their own.
#pragma once

#include "core/pending_file.hpp"
