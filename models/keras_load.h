// Keras weight files into igcam models, by layer NAME, never by position:
//  - Keras ResNet (keras.applications ResNet50/101/152, Keras-2 names conv1_conv,
//    conv2_block1_1_conv, ..., predictions|probs; and the 2016 Keras-1 names conv1,
//    bn_conv1, res2a_branch2a, ..., fc1000): igcam's ResNet with ResNetConfig::keras
//    (stride on the first 1x1, a bias on every conv, pool1_pad + valid max-pool = max-pool
//    k3 s2 p1), batch-norm epsilon 1e-3 for Keras-1 names and 1.001e-5 for Keras-2 names;
//  - Keras VGG16/VGG19 (block1_conv1, ..., fc1, fc2, predictions): igcam's VGG without
//    dropout at inference, VggConfig::flatten_only (a 224x224 input), fc1's rows permuted
//    from Keras's HWC flatten order to igcam's CHW order;
//  - a ResNet base nested in a transfer-learning model (Sequential([ResNet50(include_top=
//    False), GlobalAveragePooling2D(), Dense(n)])): the base plus a new head of n classes.
// Conv kernels HWIO -> OIHW, Dense kernels (in, out) -> (out, in). Keras-1 running_std holds
// the variance. Files without a classifier (include_top=False, the _notop files) are refused:
// igcam explains class scores, which they cannot give. The default preprocessing is
// "caffe-bgr" (keras.applications' caffe mode after load_img's 224x224 nearest resize).
// docs/keras.md has the details and the refusals.
#pragma once

#include <string>

#include "models/hdf5_file.h"
#include "models/keras_layout.h"
#include "models/model.h"

namespace igcam::models {

// Loads a file for which keras::is_keras_file(file) holds. Throws FormatError naming the
// file, the layer/dataset path and expected vs found.
Model load_keras_model(const h5::File& file, DType dtype = DType::F32);

// The igcam module for a Keras layer name, so that Keras names work as --layer:
// conv5_block3_out -> layer4.2, conv1_conv -> conv1, conv3_block1_0_bn -> layer2.0.downsample.1,
// res4a_branch2b -> layer3.0.conv2, block5_conv3 -> features.29 (its ReLU: Keras fuses it),
// block5_pool -> features.30, fc1 -> classifier.1, predictions -> fc / classifier.6 (logits,
// before Keras's softmax). A name that is not a Keras layer name is returned unchanged (it
// may be igcam's own dotted name). Throws ValueError for a Keras layer that igcam has no
// module for (conv2_block1_add, conv2_block1_1_relu, conv1_pad, flatten), naming the one to
// use instead, and for a block the architecture does not have.
std::string keras_layer_alias(const Architecture& arch, const std::string& name);

}  // namespace igcam::models
