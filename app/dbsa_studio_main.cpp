#include "ui/shell/studio_app.h"
#ifdef DBSA_HAVE_CUDA
#include "cuda_backend.h"
#endif

int main(int argc, char** argv) {
#ifdef DBSA_HAVE_CUDA
  // Before the window exists: the Model page lists the registered backends.
  dbsa::cuda::register_cuda_backend();
#endif
  return dbsa::ui::run_studio(argc, argv);
}
