#include "modalities/mri/registration.h"

#include <itkCenteredTransformInitializer.h>
#include <itkEuler3DTransform.h>
#include <itkImageRegistrationMethodv4.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkMattesMutualInformationImageToImageMetricv4.h>
#include <itkRegularStepGradientDescentOptimizerv4.h>
#include <itkResampleImageFilter.h>

#include <cmath>

#include "core/error.h"
#include "modalities/itk_bridge.h"

namespace vbiopsy::modalities::mri {

RigidRegistration register_rigid(const core::Image& fixed_image, const core::Image& moving_image) {
  using Image = itk::Image<float, 3>;
  using Transform = itk::Euler3DTransform<double>;
  using Registration = itk::ImageRegistrationMethodv4<Image, Image, Transform>;
  // Undefined voxels (e.g. ADC where the fit failed) would turn the metric into NaN and make VNL
  // abort: they enter the registration as 0.
  auto finite = [](std::vector<float> voxels) {
    for (auto& v : voxels)
      if (!std::isfinite(v)) v = 0;
    return voxels;
  };
  const auto fixed_voxels = finite(fixed_image.voxels), moving_voxels = finite(moving_image.voxels);
  auto fixed = itk_bridge::to_itk<float>(fixed_image.geometry, fixed_voxels.data());
  auto moving = itk_bridge::to_itk<float>(moving_image.geometry, moving_voxels.data());

  auto transform = Transform::New();
  auto initializer = itk::CenteredTransformInitializer<Transform, Image, Image>::New();
  initializer->SetTransform(transform);
  initializer->SetFixedImage(fixed);
  initializer->SetMovingImage(moving);
  initializer->GeometryOn();
  initializer->InitializeTransform();

  auto metric = itk::MattesMutualInformationImageToImageMetricv4<Image, Image>::New();
  metric->SetNumberOfHistogramBins(32);
  auto optimizer = itk::RegularStepGradientDescentOptimizerv4<double>::New();
  optimizer->SetLearningRate(1.0);
  optimizer->SetMinimumStepLength(1e-4);
  optimizer->SetRelaxationFactor(0.5);
  optimizer->SetNumberOfIterations(200);
  // Rotations (radians) and translations (mm) move the image on very different scales.
  itk::RegularStepGradientDescentOptimizerv4<double>::ScalesType scales(Transform::ParametersDimension);
  scales.Fill(1.0);
  for (int i = 0; i < 3; ++i) scales[i] = 1000.0;
  optimizer->SetScales(scales);

  auto registration = Registration::New();
  registration->SetFixedImage(fixed);
  registration->SetMovingImage(moving);
  registration->SetMetric(metric);
  registration->SetOptimizer(optimizer);
  registration->SetInitialTransform(transform);
  registration->InPlaceOn();
  registration->SetNumberOfLevels(2);
  Registration::ShrinkFactorsArrayType shrink(2);
  shrink[0] = 2;
  shrink[1] = 1;
  registration->SetShrinkFactorsPerLevel(shrink);
  Registration::SmoothingSigmasArrayType sigmas(2);
  sigmas[0] = 1;
  sigmas[1] = 0;
  registration->SetSmoothingSigmasPerLevel(sigmas);
  registration->SetMetricSamplingStrategy(Registration::MetricSamplingStrategyEnum::NONE);
  registration->SetNumberOfWorkUnits(1);
  metric->SetMaximumNumberOfWorkUnits(1);
  try {
    registration->Update();
  } catch (const itk::ExceptionObject& e) {
    core::fail("rigid registration failed: ", e.GetDescription());
  }

  RigidRegistration result;
  const auto parameters = transform->GetParameters();
  for (int i = 0; i < 3; ++i) {
    result.rotation_rad[i] = parameters[i];
    result.translation_mm[i] = parameters[i + 3];
  }
  result.final_metric = optimizer->GetValue();
  result.iterations = optimizer->GetCurrentIteration();
  auto resampler = itk::ResampleImageFilter<Image, Image, double>::New();
  resampler->SetInput(moving);
  resampler->SetTransform(transform);
  resampler->SetUseReferenceImage(true);
  resampler->SetReferenceImage(fixed);
  resampler->SetDefaultPixelValue(0);
  resampler->SetNumberOfWorkUnits(1);
  resampler->Update();
  result.moved = core::Image(fixed_image.geometry);
  std::copy_n(resampler->GetOutput()->GetBufferPointer(), result.moved.voxels.size(), result.moved.voxels.begin());
  return result;
}

}  // namespace vbiopsy::modalities::mri
