# libsentencepiece (optional): reads SentencePiece tokenizer.model files (trainer/tokenizer/).
# Found through pkg-config `sentencepiece` where it has a .pc file, else by find_path and
# find_library. Without it the tokenizer library still builds, and loading a .model file is a
# runtime error that names the file and the missing support.
option(QLSWEEP_WITH_SENTENCEPIECE "Read SentencePiece tokenizer.model files (libsentencepiece)" ON)
if(QLSWEEP_WITH_SENTENCEPIECE)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PC_SENTENCEPIECE QUIET sentencepiece)
  endif()
  find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h
    HINTS ${PC_SENTENCEPIECE_INCLUDE_DIRS})
  find_library(SENTENCEPIECE_LIBRARY NAMES sentencepiece
    HINTS ${PC_SENTENCEPIECE_LIBRARY_DIRS})
  if(SENTENCEPIECE_INCLUDE_DIR AND SENTENCEPIECE_LIBRARY)
    add_library(qlsweep_sentencepiece INTERFACE)
    target_include_directories(qlsweep_sentencepiece SYSTEM INTERFACE ${SENTENCEPIECE_INCLUDE_DIR})
    target_link_libraries(qlsweep_sentencepiece INTERFACE ${SENTENCEPIECE_LIBRARY})
    message(STATUS "qlsweep: sentencepiece ${PC_SENTENCEPIECE_VERSION} found "
      "(${SENTENCEPIECE_LIBRARY}): tokenizer.model files can be read")
  else()
    message(STATUS "qlsweep: sentencepiece not found (install libsentencepiece-dev); building "
      "without it: loading a SentencePiece tokenizer.model will be an error")
    set(QLSWEEP_WITH_SENTENCEPIECE OFF)
  endif()
else()
  message(STATUS "qlsweep: SentencePiece support off (QLSWEEP_WITH_SENTENCEPIECE=OFF): loading "
    "a tokenizer.model will be an error")
endif()
