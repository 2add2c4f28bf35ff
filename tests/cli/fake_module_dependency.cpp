extern "C" int dbsa_fake_dependency() {
  return 0;
}
