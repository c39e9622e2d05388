#include "backend/cpu/relaid_weights.hpp"

#include <sys/mman.h>

#include <new>

namespace resr::cpu {

void RelaidWeights::Unmap::operator()(void* p) const { munmap(p, bytes); }

dnnl::memory RelaidWeights::get(const dnnl::memory& from, const dnnl::memory::desc& to) {
  if (from.get_desc() == to) return from;
  Copy& current = current_[from.get_data_handle()];
  if (!current.weights || current.weights.get_desc() != to) {
    current.weights = dnnl::memory();
    current.storage.reset();  // unmaps the old variant before the new one is made
    const size_t bytes = to.get_size();
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    current.storage = std::unique_ptr<void, Unmap>(p, Unmap{bytes});
    current.weights = dnnl::memory(to, engine_, p);
    relayout_.copy(from, current.weights);
  }
  return current.weights;
}

}  // namespace resr::cpu
